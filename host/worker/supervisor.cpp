#include "worker/supervisor.hpp"

namespace coyote::host::worker {

std::optional<Verdict> supervise(const WorkerVitals& worker, const SupervisorConfig& limits,
                                 std::chrono::steady_clock::time_point now) {
  if (limits.ttl.count() > 0 && now - worker.started >= limits.ttl) {
    return Verdict{WorkerState::kTtlReached, "ttl reached"};
  }
  const std::uint64_t memory_limit = limits.max_worker_memory_mb * 1024 * 1024;
  if (memory_limit > 0 && worker.rss_bytes >= memory_limit) {
    return Verdict{WorkerState::kMaxMemoryReached,
                   "memory " + std::to_string(worker.rss_bytes / (std::uint64_t{1024} * 1024)) +
                       " MB >= max_worker_memory " + std::to_string(limits.max_worker_memory_mb) +
                       " MB"};
  }
  if (limits.idle_ttl.count() > 0 && worker.idle && worker.execs > 0 &&
      now - worker.last_used >= limits.idle_ttl) {
    return Verdict{WorkerState::kIdleTtlReached, "idle_ttl reached"};
  }
  return std::nullopt;
}

bool has_soft_limits(const SupervisorConfig& limits) noexcept {
  return limits.enabled &&
         (limits.ttl.count() > 0 || limits.idle_ttl.count() > 0 || limits.max_worker_memory_mb > 0);
}

}  // namespace coyote::host::worker
