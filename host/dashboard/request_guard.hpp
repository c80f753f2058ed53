// RequestGuard: who may use the dashboard, and which requests may change something.
#pragma once

#include "http/request.hpp"
#include "http/response.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace coyote::host::dashboard {

/// The CSRF header every POST must carry with the per-process token (GET /api/session).
inline constexpr std::string_view kCsrfHeader = "X-Coyote-CSRF";

/// Stateless checks over one request.
///  - Authentication (only when a token is configured): `Authorization: Basic` with the token as
///    password (any user name; browsers prompt for it) or `Authorization: Bearer <token>`;
///    otherwise 401 with a Basic challenge.
///  - State changes: only POST; it needs the CSRF header equal to csrf() (a page of another
///    origin cannot read /api/session, which sends no CORS header, nor set a custom header on a
///    simple cross-origin request), an Origin, if sent, naming this Host, no
///    `Sec-Fetch-Site: cross-site`, and a JSON body type. Otherwise 403 (415 for the type).
/// Comparisons of secrets take the same time whatever the first differing byte.
class RequestGuard {
 public:
  RequestGuard(std::string token, std::string csrf);

  /// nullopt: allowed; else the answer to send instead. `state_changing` marks POST endpoints.
  [[nodiscard]] std::optional<http::Response> check(const http::Request& request,
                                                    bool state_changing) const;

  [[nodiscard]] const std::string& csrf() const noexcept { return csrf_; }
  [[nodiscard]] bool authenticates() const noexcept { return !token_.empty(); }

  /// 32 random bytes as hex, from the kernel's generator.
  [[nodiscard]] static std::string random_token();

 private:
  [[nodiscard]] bool authenticated(const http::Request& request) const;

  std::string token_;
  std::string csrf_;
};

/// Equal contents in time independent of where they differ (lengths may leak).
[[nodiscard]] bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

/// {"error": message} with `status`.
[[nodiscard]] http::Response json_error(unsigned status, std::string_view message);

}  // namespace coyote::host::dashboard
