#include "redis/entry_codec.hpp"
#include "redis/headers_json.hpp"

#include <coyote/sdk/headers.hpp>

#include <catch2/catch.hpp>

using namespace coyote::drivers::redis;
using coyote::sdk::Headers;
using coyote::sdk::kAttemptHeader;
using coyote::sdk::Message;

namespace {

using Pairs = std::vector<std::pair<std::string_view, std::string_view>>;

Pairs as_pairs(const Fields& f) {
  Pairs out;
  for (std::size_t i = 0; i + 1 < f.size(); i += 2) out.emplace_back(f[i], f[i + 1]);
  return out;
}

}  // namespace

TEST_CASE("a job survives encoding into stream fields and decoding back", "[redis][codec]") {
  Message m;
  m.id = "9f1c";
  m.name = "App\\Job\\Mail";
  m.payload = std::string("bin\0ary\xff", 8);
  m.headers = {{"x-trace", {"a", "b"}}, {"uni", {"h\xc3\xa9\"\n"}}};
  m.options.priority = 3;
  m.options.auto_ack = true;
  const Fields f = encode_entry(m);
  const auto d = decode_entry("1-1", as_pairs(f), "mail", 10);
  CHECK(d.warnings.empty());
  CHECK(d.message.id == m.id);
  CHECK(d.message.name == m.name);
  CHECK(d.message.payload == m.payload);
  CHECK(d.message.headers == m.headers);
  CHECK(d.message.options.priority == 3);
  CHECK(d.message.options.pipeline == "mail");
  CHECK(d.auto_ack);
  CHECK(d.attempt == 1);
}

TEST_CASE("the attempt header travels as its own field", "[redis][codec]") {
  Message m;
  m.id = "a";
  m.headers = {{std::string(kAttemptHeader), {"3"}}, {"k", {"v"}}};
  const Fields f = encode_entry(m);
  const auto pairs = as_pairs(f);
  bool has_attempt = false;
  for (const auto& [k, v] : pairs) {
    if (k == field::kAttempt) {
      has_attempt = true;
      CHECK(v == "3");
    }
    if (k == field::kHeaders) CHECK(v == R"({"k":["v"]})");
  }
  CHECK(has_attempt);
  const auto d = decode_entry("1-1", pairs, "p", 10);
  CHECK(d.attempt == 3);
  CHECK(d.message.headers.at(std::string(kAttemptHeader)) == std::vector<std::string>{"3"});
}

TEST_CASE("an entry written by hand with only job and payload is a job", "[redis][codec]") {
  const Pairs fields{{"job", "Report"}, {"payload", "{}"}, {"extra", "ignored"}};
  const auto d = decode_entry("1700000000000-7", fields, "p", 10);
  CHECK(d.warnings.empty());
  CHECK(d.message.id == "1700000000000-7");
  CHECK(d.message.name == "Report");
  CHECK(d.message.options.priority == 10);
  CHECK(d.message.headers.empty());
}

TEST_CASE("unreadable optional fields are skipped with a warning, never the job",
          "[redis][codec]") {
  const Pairs fields{{"id", "x"},
                     {"headers", "{not json"},
                     {"priority", "high"},
                     {"attempt", "-2"},
                     {"payload", "p"}};
  const auto d = decode_entry("1-1", fields, "p", 4);
  CHECK(d.message.id == "x");
  CHECK(d.message.payload == "p");
  CHECK(d.message.headers.empty());
  CHECK(d.message.options.priority == 4);
  CHECK(d.attempt == 1);
  CHECK(d.warnings.size() == 3);
}

TEST_CASE("headers JSON accepts PHP's escapes and bare string values", "[redis][codec]") {
  Headers h;
  std::string error;
  REQUIRE(parse_headers_json(R"({"a":["\u00e9\ud83d\ude00\/"],"b":"one","c":[]})", h, error));
  CHECK(h.at("a") == std::vector<std::string>{"\xc3\xa9\xf0\x9f\x98\x80/"});
  CHECK(h.at("b") == std::vector<std::string>{"one"});
  CHECK(h.at("c").empty());
  for (const char* bad : {"[]", R"({"a":[1]})", R"({"a":["x"]} x)", R"({"a":["\ud800"]})",
                          R"({"a":{"b":"c"}})", "", R"({"a")"}) {
    INFO(bad);
    CHECK_FALSE(parse_headers_json(bad, h, error));
    CHECK_FALSE(error.empty());
  }
}
