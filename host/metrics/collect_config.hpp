// metrics.collect: the application collectors declared in .rr.yaml.
#pragma once

#include "metrics/app_metrics.hpp"

#include <yaml-cpp/node/node.h>

#include <string>
#include <vector>

namespace coyote::host::metrics {

/// Reads the `metrics.collect` map (`node`; null or absent: none):
///   <name>: {type, namespace, subsystem, help, labels: [..], buckets: [..],
///            objectives: {0.5: 0.05, ...} or [{0.5: 0.05}, ...]}
/// Throws sdk::ConfigError at the offending key ("metrics.collect.app_metric.type: ...") for a
/// missing or unknown type, an unknown key, or a value of the wrong shape. Further checks (label
/// names, bucket order) happen in AppMetrics::declare_config.
[[nodiscard]] std::vector<CollectorSpec> parse_collect(const YAML::Node& node,
                                                       const std::string& file);

}  // namespace coyote::host::metrics
