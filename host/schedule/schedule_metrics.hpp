// ScheduleMetrics: periodic-job and unique-key counters as metric families (docs/metrics.md).
#pragma once

#include "jobs/unique_keys.hpp"
#include "metrics/registry.hpp"
#include "schedule/scheduler.hpp"

namespace coyote::host::schedule {

/// Copies the scheduler's and the unique keys' plain counters into the registry at each
/// scrape, as JobsMetrics does for the engine. Loop-confined; the references must outlive it.
class ScheduleMetrics {
 public:
  ScheduleMetrics(metrics::Registry& registry, const Scheduler& scheduler,
                  const jobs::UniqueKeys& keys);
  ~ScheduleMetrics();
  ScheduleMetrics(const ScheduleMetrics&) = delete;
  ScheduleMetrics& operator=(const ScheduleMetrics&) = delete;
  ScheduleMetrics(ScheduleMetrics&&) = delete;
  ScheduleMetrics& operator=(ScheduleMetrics&&) = delete;

  void collect();

 private:
  metrics::Registry& registry_;
  const Scheduler& scheduler_;
  const jobs::UniqueKeys& keys_;
  metrics::Family* fires_;
  metrics::Family* skipped_;
  metrics::Family* failed_;
  metrics::Family* refused_;
  metrics::Family* held_;
  metrics::Registry::CollectorId collector_ = 0;
};

}  // namespace coyote::host::schedule
