// The context JSON every worker receives (spec 3.2): shape, key order and escaping.
#include "support/fake_job.hpp"

#include <coyote/sdk/json_text.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <string_view>

namespace json_text = coyote::sdk::json_text;

namespace {

std::string quoted(std::string_view text) {
  std::string out;
  json_text::append_string(out, text);
  return out;
}

// The byte-at-a-time escaper the word-at-a-time one must match exactly.
std::string quoted_slowly(std::string_view text) {
  std::string out = "\"";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\b') {
      out += "\\b";
    } else if (c == '\f') {
      out += "\\f";
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
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

TEST_CASE("JSON string escaping finds every byte value at every offset of a long string",
          "[jobs][context]") {
  // Strings are scanned 16 bytes at a time (SSE2) or 8, the last partial block as the block that
  // ends the string: each byte value, at each position of the blocks and of the tail (lengths
  // up to 40: two full 16-byte blocks and a tail), next to plain ASCII, bytes >= 0x80 and a
  // second special byte.
  for (unsigned value = 0; value < 256; ++value) {
    for (std::size_t length = 1; length <= 40; ++length) {
      for (std::size_t at = 0; at < length; ++at) {
        for (const char filler : {'a', '\x7f', '\xe2', ' '}) {
          std::string text(length, filler);
          text[at] = static_cast<char>(value);
          REQUIRE(quoted(text) == quoted_slowly(text));
          if (at + 3 < length) {
            text[at + 3] = '"';
            REQUIRE(quoted(text) == quoted_slowly(text));
          }
        }
      }
    }
  }
}

TEST_CASE("the default context has RoadRunner's memory-driver keys in order", "[jobs][context]") {
  coyote::test::FakeJob job("id-1", 5, "emails");
  job.headers()["b"] = {"2"};
  job.headers()["a"] = {"1", "x\"y"};
  CHECK(job.context() ==
        R"({"id":"id-1","job":"fake.job","driver":"fake","headers":{"a":["1","x\"y"],"b":["2"]},)"
        R"("pipeline":"emails"})");
}

TEST_CASE("json_text::append writes verbatim, quoted and header parts after what is there",
          "[jobs][context]") {
  std::string out = "prefix:";
  json_text::append(out, "[", json_text::quoted("a\"b"), ",", json_text::quoted(""), "]");
  CHECK(out == R"(prefix:["a\"b",""])");

  coyote::sdk::Headers headers;
  out.clear();
  json_text::append(out, json_text::headers_object(headers));
  CHECK(out == "{}");  // never null: the PHP consumer wants an object

  // Every shape a map can have: a key without values, one and several values, keys and values
  // that need escapes; the result must match the piecewise rendering exactly (same size too).
  headers["empty"] = {};
  headers["one"] = {"1"};
  headers["many"] = {"x", "", "y\nz"};
  headers[std::string("k\"\x01", 3)] = {std::string("\x1f\\", 2)};
  std::string expected = "{";
  bool first = true;
  for (const auto& [key, values] : headers) {
    if (!first) expected += ',';
    first = false;
    expected += quoted_slowly(key) + ":[";
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i != 0) expected += ',';
      expected += quoted_slowly(values[i]);
    }
    expected += ']';
  }
  expected += '}';
  out = "ctx=";
  json_text::append(out, json_text::headers_object(headers), "!");
  CHECK(out == "ctx=" + expected + "!");
  CHECK(json_text::detail::part_size(json_text::headers_object(headers)) == expected.size());
}

TEST_CASE("json_text::quoted_size is the size of the literal written for every byte value",
          "[jobs][context]") {
  for (unsigned value = 0; value < 256; ++value) {
    const std::string text = std::string("ab") + static_cast<char>(value) + "cdefghij";
    CHECK(json_text::quoted_size(text) == quoted_slowly(text).size());
  }
}
