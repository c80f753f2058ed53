// PoolStats: a worker pool's numbers at one instant, for the metrics and status endpoints.
#pragma once

#include "worker/worker_state.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::worker {

/// Why a running pool replaced a worker.
enum class RestartCause : std::uint8_t {
  kCrash,      ///< died or was killed without being asked (also a failed handshake)
  kExecTtl,    ///< killed for running one job longer than supervisor.exec_ttl
  kTtl,        ///< supervisor.ttl reached
  kIdleTtl,    ///< supervisor.idle_ttl reached
  kMaxJobs,    ///< max_jobs reached
  kMemory,     ///< supervisor.max_worker_memory exceeded
  kRequested,  ///< the worker asked for it ({"stop":true}) or sent a streamed reply
};
inline constexpr std::size_t kRestartCauses = 7;

/// The `cause` label value: "crash", "exec_ttl", "ttl", "idle_ttl", "max_jobs", "memory",
/// "requested".
[[nodiscard]] constexpr std::string_view restart_cause_name(RestartCause cause) noexcept {
  constexpr std::array<std::string_view, kRestartCauses> kNames = {
      "crash", "exec_ttl", "ttl", "idle_ttl", "max_jobs", "memory", "requested"};
  return kNames[static_cast<std::size_t>(cause)];
}

/// Plain copies; no /proc reads (RSS is read off the loop by whoever needs it).
struct PoolStats {
  struct Worker {
    int pid = 0;
    WorkerState state = WorkerState::kInactive;
    bool busy = false;  ///< running a job
  };
  std::string name;        ///< "" for jobs.pool
  std::size_t target = 0;  ///< workers the pool keeps (num_workers, moved by add/remove)
  std::vector<Worker> workers;
  std::array<std::uint64_t, kRestartCauses> restarts{};  ///< by RestartCause
};

}  // namespace coyote::host::worker
