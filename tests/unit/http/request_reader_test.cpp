// RequestReader: Beast's parser behind limits, pipelining and partial input.
#include "http/request_reader.hpp"

#include <catch2/catch.hpp>

namespace http = coyote::host::http;
using Result = http::RequestReader::Result;

TEST_CASE("request reader returns a request fed one byte at a time", "[http]") {
  http::RequestReader reader;
  const std::string raw = "POST /x?a=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
  for (std::size_t i = 0; i + 1 < raw.size(); ++i) {
    reader.append(raw.substr(i, 1));
    REQUIRE(reader.next() == Result::kNeedMore);
    CHECK(reader.in_request());
  }
  reader.append(raw.substr(raw.size() - 1));
  REQUIRE(reader.next() == Result::kRequest);
  CHECK(reader.request().message.body() == "hello");
  CHECK(reader.request().path() == "/x");
  CHECK_FALSE(reader.in_request());
}

TEST_CASE("request reader keeps pipelined requests for the next call", "[http]") {
  http::RequestReader reader;
  reader.append("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\nGET /c");
  REQUIRE(reader.next() == Result::kRequest);
  CHECK(reader.request().path() == "/a");
  REQUIRE(reader.next() == Result::kRequest);
  CHECK(reader.request().path() == "/b");
  CHECK(reader.next() == Result::kNeedMore);
  CHECK(reader.in_request());
}

TEST_CASE("request reader decodes a chunked body", "[http]") {
  http::RequestReader reader;
  reader.append(
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n"
      "\r\n");
  REQUIRE(reader.next() == Result::kRequest);
  CHECK(reader.request().message.body() == "abcde");
}

TEST_CASE("request reader refuses a header over its limit with 431", "[http]") {
  http::RequestReader reader({.header_limit = 64, .body_limit = 1024});
  reader.append("GET / HTTP/1.1\r\nX-Long: " + std::string(100, 'a') + "\r\n\r\n");
  REQUIRE(reader.next() == Result::kError);
  CHECK(reader.error_status() == 431);
  CHECK(reader.next() == Result::kError);  // stays failed: the connection must close
}

TEST_CASE("request reader refuses a body over its limit with 413", "[http]") {
  http::RequestReader reader({.header_limit = 1024, .body_limit = 4});
  reader.append("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n");
  REQUIRE(reader.next() == Result::kError);
  CHECK(reader.error_status() == 413);
  CHECK_THAT(reader.error_text(), Catch::Matchers::Contains("4 bytes"));
}

TEST_CASE("request reader answers 400 for bytes that are not HTTP", "[http]") {
  http::RequestReader reader;
  reader.append("\x16\x03\x01 not http at all\r\n\r\n");
  REQUIRE(reader.next() == Result::kError);
  CHECK(reader.error_status() == 400);
}

TEST_CASE("request reader flags Expect 100-continue once the header is complete", "[http]") {
  http::RequestReader reader;
  reader.append("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  REQUIRE(reader.next() == Result::kNeedMore);
  CHECK(reader.take_expect_continue());
  CHECK_FALSE(reader.take_expect_continue());
  reader.append("ok");
  REQUIRE(reader.next() == Result::kRequest);
  CHECK(reader.request().message.body() == "ok");
}
