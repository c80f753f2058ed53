// EngineStats: the jobs engine's numbers at one instant, for the metrics endpoint.
#pragma once

#include "jobs/counters.hpp"
#include "jobs/duration_histogram.hpp"
#include "jobs/pipeline_counters.hpp"

#include <coyote/sdk/state.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <vector>

namespace coyote::host::jobs {

/// Plain copies: taken on the loop by Engine::stats(), then read on any thread.
struct EngineStats {
  struct Pipeline {
    std::string name;
    std::string driver;
    std::string pool;  ///< "" = the default pool
    /// The driver's own view (sdk::State: ready, active, delayed, reserved, error).
    sdk::State state;
    Counters counters;              ///< outcomes of this pipeline's jobs
    std::array<PushStats, 2> push;  ///< by PushSource
    std::size_t queued = 0;         ///< waiting in the host's queue for a worker
    double oldest_queued = 0;       ///< seconds the oldest of those has waited (0: none)
    std::size_t in_flight = 0;      ///< running on a worker now
    std::size_t held = 0;           ///< queued, held back by max_concurrency / rate_limit
  };
  struct Lane {
    std::string pool;
    std::size_t queued = 0;
    std::size_t capacity = 0;  ///< jobs.pipeline_size
    DurationHistogram wait;    ///< time dispatched jobs waited for a worker
    DurationHistogram exec;    ///< time workers took to answer
  };
  struct DeadStore {
    std::string name;
    std::size_t held = 0;
  };

  Counters totals;  ///< every pipeline, destroyed ones included (rr_jobs_*)
  std::vector<Pipeline> pipelines;
  std::vector<Lane> lanes;
  std::vector<DeadStore> dead_stores;
  /// jobs.results (all 0 when off).
  std::size_t results_kept = 0;
  std::uint64_t results_too_large = 0;
  std::size_t result_waiters = 0;
};

}  // namespace coyote::host::jobs
