#include "rpc/listen_address.hpp"

#include <charconv>
#include <stdexcept>

namespace coyote::host::rpc {

std::string ListenAddress::to_string() const {
  if (kind == Kind::kUnix) return "unix://" + path;
  const bool v6 = host.find(':') != std::string::npos;
  return "tcp://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

ListenAddress parse_listen_address(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return std::invalid_argument("invalid rpc.listen address \"" + std::string(text) +
                                 "\": " + std::string(why) +
                                 " (expected tcp://HOST:PORT, e.g. tcp://127.0.0.1:6001, or "
                                 "unix:///path/to/rpc.sock)");
  };
  ListenAddress out;
  constexpr std::string_view kTcp = "tcp://";
  constexpr std::string_view kUnix = "unix://";
  if (text.substr(0, kUnix.size()) == kUnix) {
    out.kind = ListenAddress::Kind::kUnix;
    out.path = std::string(text.substr(kUnix.size()));
    if (out.path.empty()) throw bad("the socket path is empty");
    return out;
  }
  if (text.substr(0, kTcp.size()) != kTcp) throw bad("unknown scheme");
  std::string_view rest = text.substr(kTcp.size());
  const std::size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) throw bad("the port is missing");
  std::string_view host = rest.substr(0, colon);
  const std::string_view port = rest.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || port.empty() || value > 65535) {
    throw bad("the port must be a number from 0 to 65535");
  }
  out.host = std::string(host);
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

}  // namespace coyote::host::rpc
