#include "nats/rr_message.hpp"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

using coyote::drivers::nats::add_attempts;
using coyote::drivers::nats::base64_decode;
using coyote::drivers::nats::base64_encode;
using coyote::drivers::nats::decode_message;
using coyote::drivers::nats::encode_body;
using coyote::drivers::nats::random_uuid;
using coyote::drivers::nats::unanswered_deliveries;
using coyote::drivers::nats::wire_headers;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

std::string fixed_id() { return "generated-id"; }

coyote::drivers::nats::DecodedMessage decode(std::string_view body, const Headers& headers = {}) {
  return decode_message(body, headers, "pipe", 7, &fixed_id);
}

}  // namespace

TEST_CASE("a body RoadRunner's nats driver published decodes into the job", "[nats]") {
  // Go's json.Marshal of RR's Item: HTML characters escaped, the untagged Options.Queue field.
  const std::string body =
      R"({"job":"App\\Jobs\\Mail","id":"1b4e-\u003cx\u003e","payload":"aGVsbG8gd29ybGQ=",)"
      R"("options":{"priority":3,"pipeline":"elsewhere","delay":5,"auto_ack":true,"Queue":""}})";
  auto d = decode(body, {{"h", "1"}, {"h", "2"}, {"traceparent", "00-ab"}});
  CHECK_FALSE(d.foreign);
  CHECK(d.message.name == "App\\Jobs\\Mail");
  CHECK(d.message.id == "1b4e-<x>");
  CHECK(d.message.payload == "hello world");
  CHECK(d.message.options.priority == 3);
  CHECK(d.message.options.pipeline == "pipe");  // the consuming pipeline, as RR files it
  CHECK(d.message.options.delay_seconds == 5);
  CHECK(d.message.options.auto_ack);
  CHECK(d.message.headers.at("h") == std::vector<std::string>{"1", "2"});
  CHECK(d.message.headers.at("traceparent") == std::vector<std::string>{"00-ab"});
}

TEST_CASE("encode_body writes what RoadRunner's consumer reads and decode reads it back",
          "[nats]") {
  coyote::sdk::Message m;
  m.name = "Job\"quoted\"";
  m.id = "id-1";
  m.payload = std::string("\x00\xff binary\n", 10);
  m.options.priority = 4;
  m.options.pipeline = "p";
  m.options.delay_seconds = 9;
  const std::string body = encode_body(m);
  auto doc = boost::json::parse(body).as_object();
  CHECK(doc.at("job").as_string() == "Job\"quoted\"");
  CHECK(doc.at("payload").as_string() == base64_encode(m.payload));
  const auto& options = doc.at("options").as_object();
  CHECK(options.at("priority").as_int64() == 4);
  CHECK(options.at("pipeline").as_string() == "p");
  CHECK(options.at("delay").as_int64() == 9);
  CHECK(options.at("auto_ack").as_bool() == false);
  CHECK(options.at("Queue").as_string() == "");
  auto back = decode(body);
  CHECK_FALSE(back.foreign);
  CHECK(back.message.name == m.name);
  CHECK(back.message.payload == m.payload);
  CHECK(back.message.options.delay_seconds == 9);

  SECTION("a zero delay is omitted, as Go's omitempty does") {
    m.options.delay_seconds = 0;
    CHECK(encode_body(m).find("delay") == std::string::npos);
  }
}

TEST_CASE("keys match case-insensitively and null fields keep their zero values", "[nats]") {
  auto d = decode(R"({"JOB":"j","Id":"x","PAYLOAD":null,"Options":{"Priority":0,"DELAY":null}})");
  CHECK_FALSE(d.foreign);
  CHECK(d.message.name == "j");
  CHECK(d.message.id == "x");
  CHECK(d.message.payload.empty());
  CHECK(d.message.options.priority == 7);  // 0 inherits the pipeline's
  CHECK(d.message.options.delay_seconds == 0);
}

TEST_CASE("an envelope without an id gets a fresh one", "[nats]") {
  auto d = decode(R"({"job":"j","payload":"eA=="})");
  CHECK_FALSE(d.foreign);
  CHECK(d.message.id == "generated-id");
  CHECK(d.message.payload == "x");
}

TEST_CASE("a body that is not RoadRunner's JSON is delivered whole as a foreign job", "[nats]") {
  const char* bodies[] = {
      "plain text",                                  // not JSON
      R"("a json string")",                          // not an object
      "[1,2,3]",                                     // not an object
      R"({"event":"signup"})",                       // an object of someone else's
      R"({"job":5,"id":"x"})",                       // wrong type (Go: UnmarshalTypeError)
      R"({"job":"j","payload":"not base64!"})",      // payload not base64
      R"({"job":"j","options":{"priority":1.5}})",   // a fraction for an int64
      R"({"job":"j","options":{"delay":"5"}})",      // a string for an int64
      R"({"job":"j","options":[]})",                 // options not an object
      R"({"job":"j","options":{"auto_ack":"yes"}})"  // a string for a bool
  };
  for (const char* body : bodies) {
    INFO(body);
    auto d = decode(body, {{"k", "v"}});
    CHECK(d.foreign);
    CHECK_FALSE(d.foreign_reason.empty());
    CHECK(d.message.name == "deduced_by_rr");
    CHECK(d.message.id == "generated-id");
    CHECK(d.message.payload == body);
    CHECK(d.message.options.priority == 7);
    CHECK(d.message.options.pipeline == "pipe");
    CHECK(d.message.headers.at("k") == std::vector<std::string>{"v"});
  }
}

TEST_CASE("base64 follows Go's StdEncoding", "[nats]") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  std::string out;
  CHECK(base64_decode("Zm9vYmFy", out));
  CHECK(out == "foobar");
  CHECK(base64_decode("Zm8=", out));
  CHECK(out == "fo");
  CHECK(base64_decode("Zm9v\r\nYmFy", out));  // Go skips CR and LF
  CHECK(out == "foobar");
  CHECK(base64_decode("Zm9=", out));  // non-zero trailing bits: accepted by the non-strict decoder
  CHECK_FALSE(base64_decode("Zm8", out));   // padding required
  CHECK_FALSE(base64_decode("Z===", out));  // one sextet cannot encode a byte
  CHECK_FALSE(base64_decode("Zm=8", out));  // data after padding
  CHECK_FALSE(base64_decode("Zm8==", out));
  CHECK_FALSE(base64_decode("Zm-8", out));  // URL alphabet is not StdEncoding
}

TEST_CASE("headers that cannot travel as NATS headers are left out and named", "[nats]") {
  coyote::sdk::Headers headers{{"ok", {"a", "b"}},   {"bad key", {"x"}},
                               {"colon:key", {"x"}}, {"", {"x"}},
                               {"no-values", {}},    {"crlf", {"fine", "line\r\nbreak"}}};
  std::vector<std::string> dropped;
  auto wire = wire_headers(headers, &dropped);
  CHECK(wire == Headers{{"crlf", "fine"}, {"ok", "a"}, {"ok", "b"}});
  std::sort(dropped.begin(), dropped.end());
  CHECK(dropped == std::vector<std::string>{"", "bad key", "colon:key", "crlf", "no-values"});
}

TEST_CASE("broker redeliveries nobody answered count as attempts", "[nats]") {
  CHECK(unanswered_deliveries(1, false) == 0);
  CHECK(unanswered_deliveries(2, false) == 1);
  CHECK(unanswered_deliveries(2, true) == 0);  // a delayed job's early delivery was answered
  CHECK(unanswered_deliveries(4, true) == 2);
  CHECK(unanswered_deliveries(0, false) == 0);

  coyote::sdk::Headers h;
  add_attempts(h, 0);
  CHECK(h.empty());
  add_attempts(h, 1);
  CHECK(h.at("X-Coyote-Attempt") == std::vector<std::string>{"2"});
  add_attempts(h, 2);
  CHECK(h.at("X-Coyote-Attempt") == std::vector<std::string>{"4"});
  h["X-Coyote-Attempt"] = {"garbage"};
  add_attempts(h, 1);
  CHECK(h.at("X-Coyote-Attempt") == std::vector<std::string>{"2"});
}

TEST_CASE("random_uuid makes distinct version 4 UUIDs", "[nats]") {
  const std::string a = random_uuid();
  const std::string b = random_uuid();
  CHECK(a != b);
  REQUIRE(a.size() == 36);
  CHECK(a[8] == '-');
  CHECK(a[14] == '4');
  CHECK(std::string("89ab").find(a[19]) != std::string::npos);
}
