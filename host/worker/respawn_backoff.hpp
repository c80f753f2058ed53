// RespawnBackoff: how long a pool waits before it spawns again after workers failed to start.
#pragma once

#include <algorithm>
#include <chrono>

namespace coyote::host::worker {

/// Back-off is for workers that cannot start (a bad command, a syntax error): each early death
/// doubles the wait before the next spawn, from kFirst to kMax. A worker that finished its
/// handshake and then ran a job, or lived kStableAfter, has shown that the command works: its
/// death clears the back-off, or a burst of external kills (or a poison job, which the engine
/// retries with its own back-off) would starve the pool. So do deaths the host caused (stop,
/// recycle, exec_ttl), while a SIGKILL from outside (an operator, the OOM killer) says nothing
/// either way and leaves the count alone.
class RespawnBackoff {
 public:
  static constexpr std::chrono::milliseconds kFirst{100};
  static constexpr std::chrono::milliseconds kMax{5000};
  static constexpr std::chrono::milliseconds kStableAfter{2000};

  /// How a worker ended, as far as the back-off is concerned.
  struct Death {
    bool intended = false;           ///< the host stopped it (or exec_ttl killed it)
    bool killed_externally = false;  ///< SIGKILL from someone else
    bool handshook = false;          ///< it got as far as the pid handshake
    bool ran_a_job = false;          ///< it executed at least one job
    std::chrono::steady_clock::duration ready_for{};  ///< since its handshake
  };

  /// While failing, spawn one probe at a time after delay(); the rest follow once it succeeds.
  [[nodiscard]] bool failing() const noexcept { return failures_ > 0; }
  [[nodiscard]] std::chrono::milliseconds delay() const noexcept {
    if (failures_ == 0) return std::chrono::milliseconds{0};
    const unsigned shift = std::min(failures_ - 1, 10u);
    return std::min(kMax, kFirst * (1u << shift));
  }

  /// The process could not even be spawned.
  void spawn_failed() noexcept { ++failures_; }

  void died(const Death& death) noexcept {
    const bool proved = death.handshook && (death.ran_a_job || death.ready_for >= kStableAfter);
    if (death.intended || proved) {
      failures_ = 0;
    } else if (!death.killed_externally) {
      ++failures_;
    }
  }

 private:
  unsigned failures_ = 0;
};

}  // namespace coyote::host::worker
