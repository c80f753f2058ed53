// The jobs plugin's liveness and readiness rules, over counts the host already keeps.
#pragma once

#include "status/check.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::status {

/// When /ready (and status.Ready "jobs") answers 200. RoadRunner's rule is kIdleWorker: at
/// least one worker idle, which turns 503 exactly when the host is busiest and takes a loaded
/// instance out of a load balancer for doing its job; and with no workers (a producer-only
/// instance) it is never ready. Coyote's default, kWorkers, asks whether the host can make
/// progress: every pool that serves a consumed pipeline has a live (idle or busy) worker.
enum class ReadyRule {
  kWorkers,            ///< "workers" (default)
  kIdleWorker,         ///< "idle_worker": RoadRunner's rule
  kWorkersAndDrivers,  ///< "workers_and_drivers": kWorkers, and no pipeline's driver reports an
                       ///< error
};

[[nodiscard]] std::optional<ReadyRule> parse_ready_rule(std::string_view text) noexcept;
[[nodiscard]] std::string_view to_string(ReadyRule rule) noexcept;

struct PoolHealth {
  std::string name;
  std::size_t configured = 0;  ///< num_workers
  std::size_t idle = 0;        ///< ready for a job
  std::size_t busy = 0;        ///< working on one
  /// Some running (consumed) pipeline sends its jobs to this pool.
  bool serves_consumed = true;
};

struct PipelineHealth {
  std::string name;
  bool consumed = false;  ///< its consumer runs (jobs.consume, or resumed)
  std::string error;      ///< the driver's last error (sdk::State::error), empty when fine
};

struct JobsHealth {
  std::vector<PoolHealth> pools;
  std::vector<PipelineHealth> pipelines;
};

/// Liveness: 200 unless a pool that serves a consumed pipeline has no live worker. A
/// producer-only instance (nothing consumed, or num_workers 0) is alive: it does what it was
/// configured to. Driver errors do not make the host unhealthy (they are per pipeline, in /jobs).
[[nodiscard]] Check jobs_status(const JobsHealth& jobs);

/// Readiness by `rule` (see ReadyRule).
[[nodiscard]] Check jobs_ready(const JobsHealth& jobs, ReadyRule rule);

}  // namespace coyote::host::status
