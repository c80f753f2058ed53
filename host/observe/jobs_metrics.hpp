// JobsMetrics: the jobs engine's and worker pools' numbers as metric families — RoadRunner's
// rr_jobs_* and Coyote's coyote_pipeline_* / coyote_pool_* / coyote_dead_letter_*.
#pragma once

#include "jobs/engine.hpp"
#include "metrics/metrics_endpoint.hpp"
#include "metrics/registry.hpp"
#include "worker/pool_set.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace coyote::host::observe {

/// Nothing is counted on the job path for metrics' sake: the engine, dispatcher and pools keep
/// plain counters anyway, and a collector copies them into the registry at each scrape (one
/// Engine::stats() and PoolSet::stats() on the loop). Worker RSS needs a /proc read per worker,
/// so it is read on the endpoint's formatter thread (memory_source()), off the loop.
/// docs/metrics.md lists every family.
///
/// Loop-confined; `registry`, `engine` and `pools` must outlive it.
class JobsMetrics {
 public:
  JobsMetrics(metrics::Registry& registry, jobs::Engine& engine, worker::PoolSet& pools);
  ~JobsMetrics();
  JobsMetrics(const JobsMetrics&) = delete;
  JobsMetrics& operator=(const JobsMetrics&) = delete;
  JobsMetrics(JobsMetrics&&) = delete;
  JobsMetrics& operator=(JobsMetrics&&) = delete;

  /// rr_jobs_worker_memory_bytes{pid} and rr_jobs_workers_memory_bytes, for the workers alive at
  /// the last collection. Thread-safe.
  [[nodiscard]] metrics::MetricsEndpoint::Source memory_source() const;

  /// Runs one collection (the registry does it at every snapshot); for tests.
  void collect();

  struct Families;
  struct Pids;
  struct PipelineSeries;

 private:
  metrics::Registry& registry_;
  jobs::Engine& engine_;
  worker::PoolSet& pools_;
  std::unique_ptr<Families> f_;
  std::shared_ptr<Pids> pids_;
  metrics::Registry::CollectorId collector_ = 0;
  // Each pipeline's series, found once and then set through pointers: a scrape of a host with
  // a thousand pipelines would otherwise build and look up ~16 000 label keys on the loop.
  std::map<std::string, std::unique_ptr<PipelineSeries>, std::less<>> by_pipeline_;
  std::uint64_t generation_ = 0;
  std::set<std::string> pools_shown_;
  std::set<std::string> stores_shown_;
};

/// The `pool` label of a pool: "default" for jobs.pool (whose name is "").
[[nodiscard]] std::string pool_label(const std::string& pool);

}  // namespace coyote::host::observe
