#include "dashboard/request_guard.hpp"

#include "rpc/base64.hpp"

#include <boost/json.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <utility>

namespace coyote::host::dashboard {
namespace {

namespace json = boost::json;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const auto lower = [](char c) {
      return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    };
    if (lower(s[i]) != lower(prefix[i])) return false;
  }
  return true;
}

/// "http://host:port" → "host:port" (the part an Origin shares with a Host header).
std::string_view origin_authority(std::string_view origin) {
  const auto scheme = origin.find("://");
  if (scheme == std::string_view::npos) return {};
  origin.remove_prefix(scheme + 3);
  if (const auto slash = origin.find('/'); slash != std::string_view::npos) {
    origin = origin.substr(0, slash);
  }
  return origin;
}

}  // namespace

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = static_cast<unsigned char>(
        diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
  }
  return diff == 0;
}

http::Response json_error(unsigned status, std::string_view message) {
  return http::Response::json(status, json::serialize(json::object{{"error", message}}));
}

RequestGuard::RequestGuard(std::string token, std::string csrf)
    : token_(std::move(token)), csrf_(std::move(csrf)) {}

std::string RequestGuard::random_token() {
  std::array<unsigned char, 32> bytes{};
  std::ifstream random("/dev/urandom", std::ios::binary);
  random.read(reinterpret_cast<char*>(bytes.data()), bytes.size());  // NOLINT(*-reinterpret-cast)
  if (!random) throw std::runtime_error("dashboard: cannot read /dev/urandom for the CSRF token");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char b : bytes) {
    out += kHex[b >> 4U];
    out += kHex[b & 15U];
  }
  return out;
}

bool RequestGuard::authenticated(const http::Request& request) const {
  const std::string_view header = trim(request.message[http::beast_http::field::authorization]);
  if (starts_with_nocase(header, "bearer ")) {
    return constant_time_equal(trim(header.substr(7)), token_);
  }
  if (starts_with_nocase(header, "basic ")) {
    std::string decoded;
    if (!rpc::base64_decode(trim(header.substr(6)), decoded)) return false;
    const auto colon = decoded.find(':');
    if (colon == std::string::npos) return false;
    return constant_time_equal(std::string_view(decoded).substr(colon + 1), token_);
  }
  return false;
}

std::optional<http::Response> RequestGuard::check(const http::Request& request,
                                                  bool state_changing) const {
  if (!token_.empty() && !authenticated(request)) {
    auto r = json_error(401,
                        "authentication required: give the dashboard token (basic auth "
                        "password, or Authorization: Bearer <token>)");
    r.headers.emplace_back("WWW-Authenticate", R"(Basic realm="coyote dashboard")");
    return r;
  }
  const auto method = request.message.method();
  if (!state_changing) {
    if (method != http::beast_http::verb::get && method != http::beast_http::verb::head) {
      auto r = json_error(405, "use GET for this endpoint");
      r.headers.emplace_back("Allow", "GET, HEAD");
      return r;
    }
    return std::nullopt;
  }
  if (method != http::beast_http::verb::post) {
    auto r = json_error(405, "use POST for this endpoint (it changes state)");
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  const auto& m = request.message;
  if (trim(m["Sec-Fetch-Site"]) == "cross-site") {
    return json_error(403, "cross-site request refused");
  }
  if (const std::string_view origin = trim(m[http::beast_http::field::origin]); !origin.empty()) {
    if (origin_authority(origin) != trim(m[http::beast_http::field::host])) {
      return json_error(403, "request from another origin refused (Origin does not match Host)");
    }
  }
  if (!constant_time_equal(trim(m[kCsrfHeader]), csrf_) || csrf_.empty()) {
    return json_error(403,
                      "missing or wrong X-Coyote-CSRF header: read the token from GET "
                      "/api/session and send it with every POST");
  }
  const std::string_view type = trim(m[http::beast_http::field::content_type]);
  if (!m.body().empty() && !starts_with_nocase(type, "application/json")) {
    return json_error(415, "send the body as application/json");
  }
  return std::nullopt;
}

}  // namespace coyote::host::dashboard
