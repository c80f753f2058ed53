// ListenAddress: `rpc.listen` parsed ("tcp://host:port" or "unix:///path").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace coyote::host::rpc {

inline constexpr std::string_view kDefaultListen = "tcp://127.0.0.1:6001";

struct ListenAddress {
  enum class Kind { kTcp, kUnix };
  Kind kind = Kind::kTcp;
  std::string host;        ///< tcp: name or address ("127.0.0.1", "localhost", "::1")
  std::uint16_t port = 0;  ///< tcp: 0 picks an ephemeral port
  std::string path;        ///< unix: socket file path

  /// The canonical form, e.g. "tcp://127.0.0.1:6001", "unix:///run/rr.sock".
  [[nodiscard]] std::string to_string() const;
};

/// Throws std::invalid_argument naming the accepted forms. "unix://rr.sock" (relative) is allowed,
/// as RoadRunner allows it; "[::1]:6001" brackets are accepted for IPv6.
[[nodiscard]] ListenAddress parse_listen_address(std::string_view text);

}  // namespace coyote::host::rpc
