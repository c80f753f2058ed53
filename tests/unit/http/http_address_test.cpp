// parse_http_address and the loopback check.
#include "http/http_address.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

namespace http = coyote::host::http;
using Catch::Matchers::Contains;

TEST_CASE("http address accepts Go's host:port forms", "[http]") {
  auto a = http::parse_http_address("127.0.0.1:2112", "metrics.address");
  CHECK(a.host == "127.0.0.1");
  CHECK(a.port == 2112);
  a = http::parse_http_address("[::1]:2114", "status.address");
  CHECK(a.host == "::1");
  CHECK(a.to_string() == "[::1]:2114");
  a = http::parse_http_address(":2112", "metrics.address");
  CHECK(a.host.empty());
  a = http::parse_http_address("localhost:0", "metrics.address");
  CHECK(a.port == 0);
}

TEST_CASE("http address errors name the setting and the accepted forms", "[http]") {
  const auto message = [](std::string_view text) {
    try {
      (void)http::parse_http_address(text, "metrics.address");
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message("http://127.0.0.1:2112"), Contains("metrics.address") && Contains("URL"));
  CHECK_THAT(message("2112"), Contains("no port") && Contains("127.0.0.1:2112"));
  CHECK_THAT(message("127.0.0.1:70000"), Contains("valid port"));
  CHECK_THAT(message("127.0.0.1:"), Contains("valid port"));
  CHECK_THAT(message("::1:2112"), Contains("brackets"));
  CHECK_THAT(message("127.0.0.1:2112/metrics"), Contains("path"));
}

TEST_CASE("loopback addresses are 127/8, ::1 and mapped 127/8", "[http]") {
  CHECK(http::is_loopback_address("127.0.0.1"));
  CHECK(http::is_loopback_address("127.1.2.3"));
  CHECK(http::is_loopback_address("::1"));
  CHECK(http::is_loopback_address("::ffff:127.0.0.1"));
  CHECK_FALSE(http::is_loopback_address("0.0.0.0"));
  CHECK_FALSE(http::is_loopback_address("10.0.0.1"));
  CHECK_FALSE(http::is_loopback_address("::"));
  CHECK_FALSE(http::is_loopback_address("not an address"));
}
