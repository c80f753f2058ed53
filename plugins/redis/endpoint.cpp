#include "redis/endpoint.hpp"

#include <charconv>

namespace coyote::drivers::redis {
namespace {

bool parse_int(std::string_view text, std::int64_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex_value(in[i + 1]);
    const int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

sdk::Result<Endpoint> fail(std::string_view text, const std::string& why) {
  return sdk::Result<Endpoint>::failure("redis.addr \"" + std::string(text) + "\": " + why);
}

/// host[:port] with IPv6 in brackets.
bool split_host_port(std::string_view hostport, Endpoint& ep, std::string& why) {
  std::string_view host = hostport;
  std::string_view port;
  if (!hostport.empty() && hostport.front() == '[') {
    const auto close = hostport.find(']');
    if (close == std::string_view::npos) {
      why = "an IPv6 address needs a closing ]";
      return false;
    }
    host = hostport.substr(1, close - 1);
    const auto rest = hostport.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        why = "expected :port after the IPv6 address";
        return false;
      }
      port = rest.substr(1);
    }
  } else if (const auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
  }
  if (host.empty()) {
    why = "no host (write redis://127.0.0.1:6379)";
    return false;
  }
  ep.host = std::string(host);
  if (!port.empty()) {
    std::int64_t p = 0;
    if (!parse_int(port, p) || p <= 0 || p > 65535) {
      why = "port \"" + std::string(port) + "\" is not a number from 1 to 65535";
      return false;
    }
    ep.port = static_cast<std::uint16_t>(p);
  }
  return true;
}

}  // namespace

std::string Endpoint::display() const {
  std::string out;
  if (is_unix()) {
    out = "unix://" + unix_path;
    if (db != 0) out += "?db=" + std::to_string(db);
    return out;
  }
  out = "redis://";
  if (!username.empty() || !password.empty()) {
    out += username;
    if (!password.empty()) out += ":***";
    out += "@";
  }
  const bool v6 = host.find(':') != std::string::npos;
  out += v6 ? "[" + host + "]" : host;
  out += ":" + std::to_string(port);
  if (db != 0) out += "/" + std::to_string(db);
  return out;
}

sdk::Result<Endpoint> parse_endpoint(std::string_view text) {
  Endpoint ep;
  std::string why;
  if (text.rfind("rediss://", 0) == 0) {
    return fail(text,
                "TLS (rediss://) is not supported: Debian 12's libhiredis 0.14.1 is built without "
                "TLS. Connect over a unix socket (unix:///path), a private network, or a local TLS "
                "tunnel (stunnel, spiped, ssh -L) and point redis.addr at its plain end");
  }
  if (text.rfind("unix://", 0) == 0) {
    std::string_view rest = text.substr(7);
    if (const auto q = rest.find('?'); q != std::string_view::npos) {
      std::string_view query = rest.substr(q + 1);
      rest = rest.substr(0, q);
      while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        const auto eq = pair.find('=');
        const std::string_view key = pair.substr(0, eq);
        const std::string_view value =
            eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
        if (key == "db") {
          if (!parse_int(value, ep.db) || ep.db < 0) {
            return fail(text, "db must be a number >= 0");
          }
        } else {
          return fail(text, "unknown parameter \"" + std::string(key) +
                                "\" (only ?db=N; the password goes in redis.password)");
        }
      }
    }
    if (rest.empty() || rest.front() != '/') {
      return fail(text, "a unix socket needs an absolute path: unix:///run/redis/redis.sock");
    }
    ep.unix_path = std::string(rest);
    return ep;
  }
  std::string_view rest = text;
  if (rest.rfind("redis://", 0) == 0) {
    rest = rest.substr(8);
  } else if (rest.find("://") != std::string_view::npos) {
    return fail(text, "unknown scheme; use redis://host:port or unix:///path");
  }
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = userinfo.find(':');
    std::string user;
    std::string pass;
    if (!percent_decode(userinfo.substr(0, colon), user) ||
        (colon != std::string_view::npos && !percent_decode(userinfo.substr(colon + 1), pass))) {
      return fail(text, "bad %-escape in the user or password");
    }
    ep.username = std::move(user);
    ep.password = std::move(pass);
  }
  std::string_view hostport = rest;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    const std::string_view db = rest.substr(slash + 1);
    if (!db.empty() && (!parse_int(db, ep.db) || ep.db < 0)) {
      return fail(text, "the path must be a database number (redis://host:6379/2)");
    }
  }
  if (!split_host_port(hostport, ep, why)) return fail(text, why);
  return ep;
}

}  // namespace coyote::drivers::redis
