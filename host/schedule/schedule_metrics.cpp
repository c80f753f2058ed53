#include "schedule/schedule_metrics.hpp"

namespace coyote::host::schedule {
namespace {

metrics::MetricDesc desc(std::string name, std::string help, metrics::MetricType type) {
  metrics::MetricDesc d;
  d.name = std::move(name);
  d.help = std::move(help);
  d.type = type;
  return d;
}

constexpr auto kCounter = metrics::MetricType::kCounter;
constexpr auto kGauge = metrics::MetricType::kGauge;

}  // namespace

ScheduleMetrics::ScheduleMetrics(metrics::Registry& registry, const Scheduler& scheduler,
                                 const jobs::UniqueKeys& keys)
    : registry_(registry),
      scheduler_(scheduler),
      keys_(keys),
      fires_(&registry.define(
          desc("coyote_schedule_fires_total", "Jobs pushed by periodic schedules", kCounter))),
      skipped_(&registry.define(
          desc("coyote_schedule_skipped_total",
               "Schedule fires skipped: the previous job was still held (overlap: skip) or the due "
               "time passed while the host was down (catch_up: skip)",
               kCounter))),
      failed_(&registry.define(
          desc("coyote_schedule_failed_total", "Schedule fires whose push failed", kCounter))),
      refused_(&registry.define(desc("coyote_jobs_unique_refused_total",
                                     "Pushes refused because their X-Coyote-Unique-Key was held",
                                     kCounter))),
      held_(&registry.define(desc("coyote_jobs_unique_keys",
                                  "Uniqueness keys held by jobs of this host now", kGauge))) {
  collector_ = registry_.add_collector([this] { collect(); });
}

ScheduleMetrics::~ScheduleMetrics() { registry_.remove_collector(collector_); }

void ScheduleMetrics::collect() {
  fires_->only().set(static_cast<double>(scheduler_.fired()));
  skipped_->only().set(static_cast<double>(scheduler_.skipped()));
  failed_->only().set(static_cast<double>(scheduler_.failed()));
  refused_->only().set(static_cast<double>(keys_.refused()));
  held_->only().set(static_cast<double>(keys_.held()));
}

}  // namespace coyote::host::schedule
