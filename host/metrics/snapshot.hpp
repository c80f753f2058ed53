// Snapshot: a registry's values copied at one instant, to be formatted off the loop thread.
#pragma once

#include "metrics/metric_desc.hpp"

#include <memory>
#include <string>
#include <vector>

namespace coyote::host::metrics {

/// One family's series. Immutable once taken; safe to read on any thread.
///
/// `values` holds `stride` numbers per series, in `labels` order:
///   counter, gauge:  [value]
///   histogram:       [cumulative count per bucket..., count (the +Inf bucket), sum]
///   summary:         [estimate per objective..., sum, count]
struct FamilySnapshot {
  std::shared_ptr<const MetricDesc> desc;
  /// Each series' labels rendered for the exposition format: a="x",b="y" (escaped), or "".
  std::shared_ptr<const std::vector<std::string>> labels;
  std::vector<double> values;
  std::size_t stride = 1;
};

struct Snapshot {
  std::vector<FamilySnapshot> families;  ///< sorted by name
};

}  // namespace coyote::host::metrics
