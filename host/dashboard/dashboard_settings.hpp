// DashboardSettings: the `dashboard` section of .rr.yaml (a Coyote section; RoadRunner has none).
#pragma once

#include "config/config_document.hpp"
#include "config/key_spec.hpp"

#include <cstddef>
#include <optional>
#include <string>

namespace coyote::host::dashboard {

/// The environment variable that supplies the token when `dashboard.token` is not set, so a
/// secret need not be written into the YAML file.
inline constexpr const char* kTokenEnv = "COYOTE_DASHBOARD_TOKEN";

struct DashboardSettings {
  std::string address = "127.0.0.1:2116";
  /// Required for an address that is not loopback; when set, every request (page and API)
  /// must carry it (HTTP basic auth with any user name, or `Authorization: Bearer <token>`).
  std::string token;
  /// Bytes of a dead job's payload the detail view returns (the rest is reported, not sent).
  std::size_t payload_preview = std::size_t{64} * 1024;
};

/// Present only when the section is: the dashboard is off by default. Throws sdk::ConfigError
/// for a wrong type, a malformed address, or a non-loopback address without a token (the
/// operator must decide who may pause pipelines and replay jobs; serve refuses to start).
[[nodiscard]] std::optional<DashboardSettings> dashboard_settings(
    const config::ConfigDocument& cfg, const char* token_env = kTokenEnv);

/// The key table (cli/rr_schema.cpp composes it; config/reference.md is generated from it).
[[nodiscard]] const config::Spec& dashboard_keys();

}  // namespace coyote::host::dashboard
