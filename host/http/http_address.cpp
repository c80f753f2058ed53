#include "http/http_address.hpp"

#include <boost/asio/ip/address.hpp>

#include <charconv>
#include <stdexcept>

namespace coyote::host::http {

std::string HttpAddress::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

HttpAddress parse_http_address(std::string_view text, std::string_view key) {
  const auto fail = [&](const std::string& why) {
    throw std::invalid_argument(std::string(key) + ": \"" + std::string(text) + "\" " + why +
                                "; write host:port, e.g. 127.0.0.1:2112, [::1]:2112 or "
                                "localhost:2112");
  };
  if (text.find("://") != std::string_view::npos) fail("is a URL, not an address");
  if (text.find('/') != std::string_view::npos) fail("has a path; any path is served");
  HttpAddress out;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) fail("has an unclosed '['");
    out.host = std::string(text.substr(1, close - 1));
    if (close + 1 >= text.size() || text[close + 1] != ':') fail("has no :port after ']'");
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) fail("has no port");
    out.host = std::string(text.substr(0, colon));
    if (out.host.find(':') != std::string::npos) fail("is an IPv6 address without [brackets]");
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  const auto res = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || res.ec != std::errc() || res.ptr != port.data() + port.size() ||
      value > 65535) {
    fail("has no valid port (0-65535)");
  }
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

bool is_loopback_address(std::string_view address) {
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(std::string(address), ec);
  if (ec) return false;
  if (a.is_v4()) return a.to_v4().is_loopback();
  const auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).is_loopback();
  }
  return v6.is_loopback();
}

}  // namespace coyote::host::http
