// Endpoint: where a Redis server is and how to log in, parsed from redis.addr.
#pragma once

#include <coyote/sdk/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace coyote::drivers::redis {

struct Endpoint {
  std::string host;  ///< TCP host name or address (empty for a unix socket)
  std::uint16_t port = 6379;
  std::string unix_path;  ///< set for unix:// addresses
  std::string username;   ///< ACL user (Redis 6+); empty: the default user
  std::string password;   ///< empty: no AUTH
  std::int64_t db = 0;

  [[nodiscard]] bool is_unix() const noexcept { return !unix_path.empty(); }
  /// "redis://host:port/db" or "unix:///path" with the password masked, for logs and errors.
  [[nodiscard]] std::string display() const;
};

/// Accepts redis://[[user]:password@]host[:port][/db], unix:///path/to/socket[?db=N], and a bare
/// host:port (RoadRunner's style). Percent-escapes in user and password are decoded. rediss://
/// is refused with the reason (Debian 12's hiredis 0.14.1 has no TLS) and what to do instead.
sdk::Result<Endpoint> parse_endpoint(std::string_view text);

}  // namespace coyote::drivers::redis
