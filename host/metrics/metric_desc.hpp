// MetricDesc: what a metric family is (name, help, type, label names, buckets, objectives).
#pragma once

#include <coyote/sdk/status.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::metrics {

enum class MetricType { kCounter, kGauge, kHistogram, kSummary };

/// "counter", "gauge", "histogram", "summary" (the metrics.collect / metrics.Declare names).
[[nodiscard]] std::string_view to_string(MetricType type) noexcept;
[[nodiscard]] std::optional<MetricType> parse_metric_type(std::string_view text) noexcept;

/// A summary quantile and its allowed rank error (Go's Objectives map entry).
struct Objective {
  double quantile = 0.5;
  double error = 0.05;
};

/// Prometheus' default histogram buckets (seconds), as Go's prometheus.DefBuckets.
[[nodiscard]] const std::vector<double>& default_buckets();

struct MetricDesc {
  std::string name;  ///< full name, e.g. "rr_jobs_push_latency"
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<std::string> labels;  ///< label names; none: a single series
  /// Histogram upper bounds, increasing; empty means default_buckets(); a trailing +Inf is
  /// implied (and dropped if given).
  std::vector<double> buckets;
  /// Summary quantiles; none: the summary exposes only _sum and _count (as Go's default).
  std::vector<Objective> objectives;
  /// Summary window: quantiles cover roughly the last max_age, rotated in age_buckets steps.
  std::chrono::seconds max_age{600};
  unsigned age_buckets = 5;
  /// Most label combinations this family keeps; 0 = unbounded (the host's own families).
  std::size_t max_series = 0;
};

/// Go's prometheus.BuildFQName: the non-empty parts joined by '_' ("" when `name` is empty).
[[nodiscard]] std::string full_name(std::string_view ns, std::string_view subsystem,
                                    std::string_view name);

[[nodiscard]] bool is_valid_metric_name(
    std::string_view name) noexcept;  // [a-zA-Z_:][a-zA-Z0-9_:]*
[[nodiscard]] bool is_valid_label_name(
    std::string_view name) noexcept;  // [a-zA-Z_][a-zA-Z0-9_]*, no "__"
[[nodiscard]] bool is_valid_utf8(std::string_view text) noexcept;

/// Checks a description and normalises it (sorted-check of buckets, default buckets, dropped
/// +Inf). The error names the metric and what to fix.
[[nodiscard]] sdk::Status validate(MetricDesc& desc);

}  // namespace coyote::host::metrics
