// jobs.v1 codecs: JSON shapes of spec 4.6 and the proto/JSON equivalence.
#include "rpc/base64.hpp"
#include "rpc/jobs_codec.hpp"

#include <catch2/catch.hpp>

namespace rpc = coyote::host::rpc;
using coyote::sdk::Message;
using coyote::sdk::State;

TEST_CASE("JSON push request decodes with base64 payload, headers and options", "[rpc]") {
  const std::string body =
      R"({"job":{"job":"App\\Job","id":"1","payload":"aGk=","headers":{"k":{"value":["v","w"]}},)"
      R"("options":{"pipeline":"test","priority":3,"delay":5,"auto_ack":true}}})";
  Message m;
  REQUIRE(rpc::decode_push_request(rpc::Codec::kJson, body, m));
  CHECK(m.name == "App\\Job");
  CHECK(m.id == "1");
  CHECK(m.payload == "hi");
  CHECK(m.headers.at("k") == std::vector<std::string>{"v", "w"});
  CHECK(m.options.pipeline == "test");
  CHECK(m.options.priority == 3);
  CHECK(m.options.delay_seconds == 5);
  CHECK(m.options.auto_ack);
}

TEST_CASE("JSON push request with a plain-text payload is refused as illegal base64", "[rpc]") {
  Message m;
  const auto status =
      rpc::decode_push_request(rpc::Codec::kJson, R"({"job":{"id":"1","payload":"hi!"}})", m);
  REQUIRE_FALSE(status);
  CHECK_THAT(status.message(), Catch::Contains("illegal base64 data"));
}

TEST_CASE("JSON decoding reports type mismatches and syntax errors", "[rpc]") {
  Message m;
  auto status =
      rpc::decode_push_request(rpc::Codec::kJson, R"({"job":{"options":{"priority":"high"}}})", m);
  REQUIRE_FALSE(status);
  CHECK_THAT(status.message(),
             Catch::Contains("cannot unmarshal string") && Catch::Contains("int64"));
  status = rpc::decode_push_request(rpc::Codec::kJson, R"({"job":)", m);
  CHECK_FALSE(status);
  std::map<std::string, std::string> declare;
  CHECK_FALSE(
      rpc::decode_declare_request(rpc::Codec::kJson, R"({"pipeline":{"priority":10}})", declare));
}

TEST_CASE("empty bodies decode to zero messages in both codecs", "[rpc]") {
  for (auto codec : {rpc::Codec::kProto, rpc::Codec::kJson}) {
    std::vector<std::string> names{"stale"};
    REQUIRE(rpc::decode_pipelines(codec, "", names));
    CHECK(names.empty());
    CHECK(rpc::decode_empty(codec, ""));
  }
  CHECK(rpc::decode_empty(rpc::Codec::kJson, "{}"));
}

TEST_CASE("JSON replies omit zero values", "[rpc]") {
  State st;
  st.pipeline = "test";
  st.driver = "memory";
  st.queue = "test";
  st.active = 1;
  st.priority = 10;
  CHECK(
      rpc::encode_stats(rpc::Codec::kJson, {st}) ==
      R"({"stats":[{"pipeline":"test","driver":"memory","queue":"test","active":1,"priority":10}]})");
  CHECK(rpc::encode_pipelines(rpc::Codec::kJson, {}) == "{}");
  CHECK(rpc::encode_empty(rpc::Codec::kJson) == "{}");
  CHECK(rpc::encode_empty(rpc::Codec::kProto).empty());
}

TEST_CASE("proto and JSON encoders round-trip through the decoders", "[rpc]") {
  Message m;
  m.name = "job";
  m.id = "abc";
  m.payload = std::string("\x00\xff bytes", 8);
  m.headers["attempt"] = {"1"};
  m.options.pipeline = "p";
  m.options.priority = -2;
  m.options.delay_seconds = 9;
  m.options.partition = 3;
  for (auto codec : {rpc::Codec::kProto, rpc::Codec::kJson}) {
    Message back;
    REQUIRE(rpc::decode_push_request(codec, rpc::encode_push_request(codec, m), back));
    CHECK(back.payload == m.payload);
    CHECK(back.headers == m.headers);
    CHECK(back.options.priority == -2);
    CHECK(back.options.delay_seconds == 9);
    CHECK(back.options.partition == 3);

    std::vector<Message> batch;
    REQUIRE(rpc::decode_push_batch_request(codec, rpc::encode_push_batch_request(codec, {m, m}),
                                           batch));
    CHECK(batch.size() == 2);

    std::map<std::string, std::string> opts{
        {"name", "dyn"}, {"driver", "memory"}, {"priority", "10"}};
    std::map<std::string, std::string> opts_back;
    REQUIRE(
        rpc::decode_declare_request(codec, rpc::encode_declare_request(codec, opts), opts_back));
    CHECK(opts_back == opts);
  }
}

TEST_CASE("unsupported codecs are refused with a hint", "[rpc]") {
  Message m;
  const auto status = rpc::decode_push_request(rpc::Codec::kGob, "x", m);
  REQUIRE_FALSE(status);
  CHECK_THAT(status.message(), Catch::Contains("gob") && Catch::Contains("proto"));
}

TEST_CASE("base64 follows Go's standard encoding", "[rpc]") {
  std::string out;
  for (const std::string text : {"", "h", "hi", "hi!", "hello world"}) {
    REQUIRE(rpc::base64_decode(rpc::base64_encode(text), out));
    CHECK(out == text);
  }
  CHECK(rpc::base64_encode("hi") == "aGk=");
  CHECK_FALSE(rpc::base64_decode("aGk", out));
  CHECK_FALSE(rpc::base64_decode("a=Gk", out));
  CHECK_FALSE(rpc::base64_decode("aGk=x", out));
}
