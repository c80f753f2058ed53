#include "observe/observe_settings.hpp"

#include "metrics/collect_config.hpp"

#include <coyote/sdk/config.hpp>

#include <string_view>

namespace coyote::host::observe {
namespace {

using config::Field;
using config::Kind;
using config::Spec;

// ---- the keys this file reads: the `metrics` and `status` sections ---------------------------

constexpr Field kMetricsFields[] = {
    {"address", &config::spec::kString, "`127.0.0.1:2112`",
     "host:port of the Prometheus endpoint (text format 0.0.4; every path answers, as "
     "RoadRunner's). The endpoint exists only when the `metrics` section does. Port 0 picks a "
     "free port (logged)."},
    {"allow_remote", &config::spec::kBoolean, "`false`",
     "**Coyote**: serve on an address that is not loopback. The endpoint has no "
     "authentication, so without this such an address is refused with an error in the log (the "
     "host keeps running jobs)."},
    {"max_series", &config::spec::kInteger, "`10000`",
     "**Coyote**: label combinations one application metric (`metrics.collect`, "
     "`metrics.Declare`) may hold; further ones are refused (the RPC call fails) and counted in "
     "`coyote_metrics_series_refused_total`."},
    {"collect", &config::spec::kOpaqueMap, "—",
     "application metrics, as RoadRunner's: `<name>: {type, namespace, subsystem, help, labels: "
     "[..], "
     "buckets: [..], objectives: {0.5: 0.05}}` with type `counter`, `gauge`, `histogram` or "
     "`summary`, driven "
     "by `metrics.Add/Sub/Set/Observe` over RPC. A malformed entry is logged naming the key and "
     "none of them is declared; the host's own metrics are still served."},
};
constexpr Spec kMetrics{Kind::kSection, kMetricsFields};

constexpr std::string_view kReadyRules[] = {"workers", "idle_worker", "workers_and_drivers"};
constexpr Spec kReadyRule{Kind::kString, {}, nullptr, kReadyRules};

constexpr Field kStatusFields[] = {
    {"address", &config::spec::kString, "`127.0.0.1:2114`",
     "host:port of `/health`, `/ready` and `/jobs`. The endpoint exists only when the `status` "
     "section does (RoadRunner has no default address; its docs use this one)."},
    {"allow_remote", &config::spec::kBoolean, "`false`",
     "**Coyote**: serve on an address that is not loopback (see `metrics.allow_remote`)."},
    {"unavailable_status_code", &config::spec::kInteger, "`503`",
     "HTTP code of a \"not healthy\" / \"not ready\" answer (100–599)"},
    {"check_timeout", &config::spec::kDuration, "`60` (seconds)",
     "the server's read timeout for one request (RoadRunner reads an integer of seconds; a Go "
     "duration such as `30s` is accepted too)"},
    {"ready_rule", &kReadyRule, "`workers`",
     "**Coyote**: when `/ready?plugin=jobs` answers 200. `workers`: every pool that serves a "
     "consumed pipeline has a live worker (busy or idle), so a fully loaded host stays in its "
     "load balancer and a producer-only host is ready. `idle_worker`: RoadRunner's rule, at "
     "least one idle worker (503 whenever every worker is busy, and on a host without workers). "
     "`workers_and_drivers`: `workers`, and no pipeline's driver reports an error."},
};
constexpr Spec kStatus{Kind::kSection, kStatusFields};

bool present(const config::ConfigDocument& cfg, std::string_view section) {
  return cfg.has(section);
}

}  // namespace

const config::Spec& metrics_keys() { return kMetrics; }
const config::Spec& status_keys() { return kStatus; }

std::optional<MetricsSettings> metrics_settings(const config::ConfigDocument& cfg) {
  if (!present(cfg, "metrics")) return std::nullopt;
  MetricsSettings out;
  out.address = cfg.string_or("metrics.address", out.address);
  out.allow_remote = cfg.boolean_or("metrics.allow_remote", false);
  const std::int64_t max_series = cfg.integer_or("metrics.max_series", 10000);
  if (max_series < 1) throw cfg.error_at("metrics.max_series", "must be at least 1");
  out.max_series = static_cast<std::size_t>(max_series);
  try {
    out.collect = metrics::parse_collect(cfg.node("metrics.collect"), cfg.file());
  } catch (const sdk::ConfigError& e) {
    out.collect_error = e.what();
  }
  return out;
}

std::optional<StatusSettings> status_settings(const config::ConfigDocument& cfg) {
  if (!present(cfg, "status")) return std::nullopt;
  StatusSettings out;
  out.address = cfg.string_or("status.address", out.address);
  out.allow_remote = cfg.boolean_or("status.allow_remote", false);
  const std::int64_t code = cfg.integer_or("status.unavailable_status_code", 503);
  if (code < 100 || code > 599) {
    throw cfg.error_at("status.unavailable_status_code", "must be an HTTP status code (100-599)");
  }
  out.unavailable_status_code = static_cast<unsigned>(code);
  out.check_timeout = cfg.duration_or("status.check_timeout", out.check_timeout);
  if (out.check_timeout.count() <= 0) {
    throw cfg.error_at("status.check_timeout", "must be positive, e.g. 60 or 30s");
  }
  const std::string rule = cfg.string_or("status.ready_rule", "workers");
  const auto parsed = status::parse_ready_rule(rule);
  if (!parsed) {
    throw cfg.error_at("status.ready_rule", "unknown rule \"" + rule +
                                                "\"; use workers, idle_worker or "
                                                "workers_and_drivers");
  }
  out.ready_rule = *parsed;
  return out;
}

}  // namespace coyote::host::observe
