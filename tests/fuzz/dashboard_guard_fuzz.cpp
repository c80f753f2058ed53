// libFuzzer: the dashboard's checks of outside bytes — request header values through
// RequestGuard (basic/bearer auth decoding, Origin parsing, CSRF, content type), the POST
// endpoint classification of a path, and a dead job's payload through the text/hex preview.
#include "dashboard/dashboard_api.hpp"
#include "dashboard/request_guard.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dashboard = coyote::host::dashboard;
namespace beast_http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // Fields split at NUL: authorization, origin, host, csrf, content type, path, body.
  std::string_view parts[7];
  std::string_view rest = in;
  for (auto& p : parts) {
    const auto cut = rest.find('\0');
    p = rest.substr(0, cut);
    rest = cut == std::string_view::npos ? std::string_view() : rest.substr(cut + 1);
  }
  static const dashboard::RequestGuard guard("token", "csrf");
  coyote::host::http::Request r;
  r.message.method(size % 2 == 0 ? beast_http::verb::post : beast_http::verb::get);
  try {
    r.message.set(beast_http::field::authorization, parts[0]);
    r.message.set(beast_http::field::origin, parts[1]);
    r.message.set(beast_http::field::host, parts[2]);
    r.message.set(dashboard::kCsrfHeader, parts[3]);
    r.message.set(beast_http::field::content_type, parts[4]);
  } catch (const std::exception&) {
    return 0;  // Beast refuses field values with CR/LF: no such request reaches the guard
  }
  r.message.target(std::string("/") + std::string(parts[5]));
  r.message.body() = std::string(parts[6]);
  const bool action = dashboard::is_action(r.path());
  const auto refused = guard.check(r, action);
  // An action passes only with the exact CSRF token (up to surrounding blanks).
  if (!refused && action && parts[3].find("csrf") == std::string_view::npos) __builtin_trap();

  const auto preview = dashboard::preview_payload(in, 64);
  if (preview.encoding == "hex" && preview.data.size() != 2 * std::min<std::size_t>(size, 64)) {
    __builtin_trap();
  }
  if (preview.encoding == "text" && preview.data.size() > 64) __builtin_trap();
  return 0;
}
