// ObserveSettings: the `metrics` and `status` sections of .rr.yaml (RoadRunner's keys, plus ours).
#pragma once

#include "config/config_document.hpp"
#include "config/key_spec.hpp"
#include "metrics/app_metrics.hpp"
#include "status/jobs_health.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace coyote::host::observe {

struct MetricsSettings {
  std::string address = "127.0.0.1:2112";
  /// The endpoint has no authentication: an address other than loopback needs this.
  bool allow_remote = false;
  /// Label combinations one application metric may hold (metrics.Set with user ids...).
  std::size_t max_series = 10000;
  /// metrics.collect, parsed; `collect_error` is set instead when it is malformed (the host
  /// still serves its own metrics: an application's typo must not blind the operator).
  std::vector<metrics::CollectorSpec> collect;
  std::string collect_error;
};

struct StatusSettings {
  std::string address = "127.0.0.1:2114";
  bool allow_remote = false;
  unsigned unavailable_status_code = 503;
  /// The server's read timeout (RoadRunner: read and read-header timeout).
  std::chrono::milliseconds check_timeout{std::chrono::seconds(60)};
  status::ReadyRule ready_rule = status::ReadyRule::kWorkers;
};

/// Present only when the section is (RoadRunner enables each plugin by its section). Throws
/// sdk::ConfigError for a value of the wrong type or out of range (validation reports those
/// before serve starts); a malformed metrics.collect is returned in collect_error instead.
[[nodiscard]] std::optional<MetricsSettings> metrics_settings(const config::ConfigDocument& cfg);
[[nodiscard]] std::optional<StatusSettings> status_settings(const config::ConfigDocument& cfg);

/// The key tables (cli/rr_schema.cpp composes them; config/reference.md is generated from them).
[[nodiscard]] const config::Spec& metrics_keys();
[[nodiscard]] const config::Spec& status_keys();

}  // namespace coyote::host::observe
