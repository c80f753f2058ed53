// HttpAddress: an endpoint setting such as `metrics.address` ("127.0.0.1:2112", "[::1]:2114").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace coyote::host::http {

struct HttpAddress {
  std::string host;        ///< name or address; empty for ":2112" (every interface, as Go reads it)
  std::uint16_t port = 0;  ///< 0 picks a free port

  /// "127.0.0.1:2112", "[::1]:2112", ":2112".
  [[nodiscard]] std::string to_string() const;
};

/// Parses Go's "host:port" form. Throws std::invalid_argument whose text starts with `key`
/// ("metrics.address") and shows the accepted forms, e.g. for "http://127.0.0.1:2112" (a URL),
/// "2112" (no colon) or a port above 65535.
[[nodiscard]] HttpAddress parse_http_address(std::string_view text, std::string_view key);

/// True for 127.0.0.0/8, ::1 and IPv4-mapped loopback, given as address text.
[[nodiscard]] bool is_loopback_address(std::string_view address);

}  // namespace coyote::host::http
