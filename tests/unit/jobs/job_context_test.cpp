// The context JSON every worker receives (spec 3.2): shape, key order and escaping.
#include "support/fake_job.hpp"

#include <coyote/sdk/json_text.hpp>

#include <catch2/catch.hpp>

namespace json_text = coyote::sdk::json_text;

namespace {

std::string quoted(std::string_view text) {
  std::string out;
  json_text::append_string(out, text);
  return out;
}

}  // namespace

TEST_CASE("JSON strings escape quotes, backslashes and control bytes and keep UTF-8",
          "[jobs][context]") {
  CHECK(quoted("") == R"("")");
  CHECK(quoted("plain-id-123") == R"("plain-id-123")");
  CHECK(quoted(R"(App\Jobs\Mail)") == R"("App\\Jobs\\Mail")");
  CHECK(quoted(R"(say "hi")") == R"("say \"hi\"")");
  CHECK(quoted("a\nb\tc\rd\be\ff") == R"("a\nb\tc\rd\be\ff")");
  CHECK(quoted(std::string("x\x01y\x1fz", 5)) == R"("x\u0001y\u001fz")");
  CHECK(quoted(std::string("\0", 1)) == R"("\u0000")");
  CHECK(quoted("\"") == R"("\"")");  // an escape as the very first and last byte
  CHECK(quoted("zürich ✓") == "\"zürich ✓\"");
}

TEST_CASE("the default context has RoadRunner's memory-driver keys in order", "[jobs][context]") {
  coyote::test::FakeJob job("id-1", 5, "emails");
  job.headers()["b"] = {"2"};
  job.headers()["a"] = {"1", "x\"y"};
  CHECK(job.context() ==
        R"({"id":"id-1","job":"fake.job","driver":"fake","headers":{"a":["1","x\"y"],"b":["2"]},)"
        R"("pipeline":"emails"})");
}
