// Worker state codes and names as informer.Workers reports them (spec 4.7).
#pragma once

#include <cstdint>
#include <string_view>

namespace coyote::host::worker {

enum class WorkerState : int {
  kInactive = 0,
  kReady = 1,
  kWorking = 2,
  kInvalid = 3,
  kStopping = 4,
  kStopped = 5,
  kDestroyed = 6,
  kMaxJobsReached = 7,
  kErrored = 8,
  kIdleTtlReached = 9,
  kTtlReached = 10,
  kMaxMemoryReached = 11,
  kExecTtlReached = 12,
};

/// The statusStr RoadRunner prints for a state; code 12 has no name there, hence "undefined".
[[nodiscard]] constexpr std::string_view state_name(WorkerState s) noexcept {
  switch (s) {
    case WorkerState::kInactive:
      return "inactive";
    case WorkerState::kReady:
      return "ready";
    case WorkerState::kWorking:
      return "working";
    case WorkerState::kInvalid:
      return "invalid";
    case WorkerState::kStopping:
      return "stopping";
    case WorkerState::kStopped:
      return "stopped";
    case WorkerState::kDestroyed:
      return "destroyed";
    case WorkerState::kMaxJobsReached:
      return "maxJobsReached";
    case WorkerState::kErrored:
      return "errored";
    case WorkerState::kIdleTtlReached:
      return "idleTTLReached";
    case WorkerState::kTtlReached:
      return "ttlReached";
    case WorkerState::kMaxMemoryReached:
      return "maxMemoryReached";
    case WorkerState::kExecTtlReached:
      return "undefined";
  }
  return "undefined";
}

}  // namespace coyote::host::worker
