// ProcessMetrics: the standard process_* metrics (Go's process collector names) from /proc.
#pragma once

#include "metrics/snapshot.hpp"

#include <chrono>
#include <vector>

namespace coyote::host::metrics {

/// Reads /proc/self on every call: CPU seconds, resident and virtual memory, open and maximum
/// file descriptors, start time, plus coyote_uptime_seconds. Thread-safe (it touches no host
/// state), so a scrape runs it off the loop. Values it cannot read are left out.
class ProcessMetrics {
 public:
  ProcessMetrics();
  [[nodiscard]] std::vector<FamilySnapshot> collect() const;

 private:
  std::chrono::steady_clock::time_point started_;
};

}  // namespace coyote::host::metrics
