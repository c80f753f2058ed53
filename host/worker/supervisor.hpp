// Supervisor: the pure rule that decides when a worker has outlived its limits (spec 2.9).
#pragma once

#include "worker/pool_config.hpp"
#include "worker/worker_state.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace coyote::host::worker {

/// What the supervisor reads of one worker: a snapshot, so the rule needs no process.
struct WorkerVitals {
  std::chrono::steady_clock::time_point started;    ///< spawned
  std::chrono::steady_clock::time_point last_used;  ///< last job started or finished
  std::uint64_t execs = 0;
  std::uint64_t rss_bytes = 0;  ///< read only when the config has a memory limit
  bool idle = false;            ///< ready and not executing
};

/// Recycle this worker: the state informer shows while it leaves, and why (for the log).
struct Verdict {
  WorkerState state;
  std::string reason;
};

/// The soft limits in the spec's order: ttl, then max_worker_memory, then idle_ttl (only for an
/// idle worker that has run a job). nullopt: the worker stays. A zero limit is off. exec_ttl is
/// not here: it is a hard per-job limit the worker process enforces itself.
[[nodiscard]] std::optional<Verdict> supervise(const WorkerVitals& worker,
                                               const SupervisorConfig& limits,
                                               std::chrono::steady_clock::time_point now);

/// True when `limits` has a soft limit for supervise() to check (else no timer is armed).
[[nodiscard]] bool has_soft_limits(const SupervisorConfig& limits) noexcept;

}  // namespace coyote::host::worker
