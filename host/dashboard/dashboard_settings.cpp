#include "dashboard/dashboard_settings.hpp"

#include "http/http_address.hpp"

#include <coyote/sdk/config.hpp>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace coyote::host::dashboard {
namespace {

using config::Field;
using config::Kind;
using config::Spec;

constexpr Field kDashboardFields[] = {
    {"address", &config::spec::kString, "`127.0.0.1:2116`",
     "**Coyote**: host:port of the web dashboard and its JSON API (`docs/dashboard.md`). The "
     "dashboard exists only when the `dashboard` section does. An address that is not loopback "
     "needs `token`; without one `serve` refuses to start. Port 0 picks a free port (logged)."},
    {"token", &config::spec::kString, "— (env `COYOTE_DASHBOARD_TOKEN`)",
     "**Coyote**: the secret every request must carry (HTTP basic auth with any user name and "
     "this as the password, or `Authorization: Bearer <token>`). Read from the environment "
     "variable `COYOTE_DASHBOARD_TOKEN` when unset. Optional on loopback."},
    {"payload_preview", &config::spec::kInteger, "`65536`",
     "**Coyote**: bytes of a dead job's payload the detail view returns (the size of the rest "
     "is shown, the bytes are not sent)."},
};
constexpr Spec kDashboard{Kind::kSection, kDashboardFields};

bool loopback_host(std::string_view host) {
  return host == "localhost" || http::is_loopback_address(host);
}

}  // namespace

const config::Spec& dashboard_keys() { return kDashboard; }

std::optional<DashboardSettings> dashboard_settings(const config::ConfigDocument& cfg,
                                                    const char* token_env) {
  if (!cfg.has("dashboard")) return std::nullopt;
  DashboardSettings out;
  out.address = cfg.string_or("dashboard.address", out.address);
  out.token = cfg.string_or("dashboard.token", "");
  if (out.token.empty() && token_env != nullptr) {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): read once at startup; the host never sets it
    if (const char* env = std::getenv(token_env); env != nullptr) out.token = env;
  }
  const std::int64_t preview = cfg.integer_or("dashboard.payload_preview", 65536);
  if (preview < 16) throw cfg.error_at("dashboard.payload_preview", "must be at least 16 (bytes)");
  out.payload_preview = static_cast<std::size_t>(preview);
  http::HttpAddress parsed;
  try {
    parsed = http::parse_http_address(out.address, "dashboard.address");
  } catch (const std::invalid_argument& e) {
    throw cfg.error_at("dashboard.address", e.what());
  }
  if (!loopback_host(parsed.host) && out.token.empty()) {
    throw cfg.error_at(
        "dashboard.address",
        "\"" + out.address +
            "\" is not a loopback address, and the dashboard can pause pipelines and replay "
            "jobs: set dashboard.token (or the environment variable " +
            std::string(kTokenEnv) + "), or use 127.0.0.1:<port>");
  }
  return out;
}

}  // namespace coyote::host::dashboard
