// AppMetrics: RoadRunner's metrics plugin for applications — metrics.collect and the
// metrics.Declare/Add/Sub/Observe/Set/Unregister RPC methods, over the host's Registry.
#pragma once

#include "metrics/registry.hpp"

#include <coyote/sdk/result.hpp>
#include <coyote/sdk/status.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::metrics {

/// RoadRunner's Collector (metrics.collect.<name>, or metrics.Declare's {name, collector}).
struct CollectorSpec {
  std::string name;  ///< the collector's key, as the application names it in Add/Set/...
  std::string type;  ///< "counter", "gauge", "histogram", "summary"; anything else is refused
  std::string ns;    ///< namespace
  std::string subsystem;
  std::string help;
  std::vector<std::string> labels;
  std::vector<double> buckets;
  std::vector<Objective> objectives;
};

/// RoadRunner's Metric: the argument of Add, Sub, Observe and Set.
struct MetricUpdate {
  std::string name;
  double value = 0;
  std::vector<std::string> labels;  ///< label values, in the collector's label order
};

struct AppMetricsOptions {
  /// Label combinations one application metric may have. An application that puts user ids or
  /// URLs into labels would otherwise grow the host's memory and every scrape without bound.
  std::size_t max_series = 10000;
  /// Collectors the application may declare: metrics.Declare in a loop over made-up names would
  /// otherwise grow the host's memory and every scrape just the same.
  std::size_t max_collectors = 1000;
};

/// Loop-confined, like the Registry. Application collectors are addressed by their short name
/// (the key), exposed under namespace_subsystem_name, as RoadRunner does.
class AppMetrics {
 public:
  explicit AppMetrics(Registry& registry, AppMetricsOptions options = {});

  /// metrics.collect: every collector or none (the first error names the collector). Call once,
  /// at startup.
  [[nodiscard]] sdk::Status declare_config(const std::vector<CollectorSpec>& collectors);

  /// metrics.Declare. A name already declared is accepted and left as it is (RoadRunner logs a
  /// warning and answers true).
  [[nodiscard]] sdk::Status declare(const CollectorSpec& collector);
  /// metrics.Add: counters and gauges; a counter refuses a negative value.
  [[nodiscard]] sdk::Status add(const MetricUpdate& m);
  /// metrics.Sub: gauges.
  [[nodiscard]] sdk::Status sub(const MetricUpdate& m);
  /// metrics.Observe: histograms and summaries.
  [[nodiscard]] sdk::Status observe(const MetricUpdate& m);
  /// metrics.Set: gauges.
  [[nodiscard]] sdk::Status set(const MetricUpdate& m);
  /// metrics.Unregister: true when removed; an unknown name is an error.
  [[nodiscard]] sdk::Result<bool> unregister(std::string_view name);

  [[nodiscard]] bool contains(std::string_view name) const;
  [[nodiscard]] std::size_t size() const noexcept { return collectors_.size(); }

 private:
  enum class Op { kAdd, kSub, kObserve, kSet };
  [[nodiscard]] sdk::Status apply(Op op, const MetricUpdate& m);
  [[nodiscard]] sdk::Result<MetricDesc> describe(const CollectorSpec& c) const;

  Registry& registry_;
  AppMetricsOptions options_;
  std::map<std::string, std::string, std::less<>> collectors_;  // key -> full metric name
};

}  // namespace coyote::host::metrics
