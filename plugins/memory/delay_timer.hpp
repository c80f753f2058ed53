// DelayTimer: the one thread that wakes memory pipelines when their earliest delayed job is due.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace coyote::drivers::memory {

class PipelineCore;

/// Shared by every pipeline of one memory plugin instance, so 10 000 pipelines holding delayed
/// jobs cost one thread, not 10 000 (a thread each would exhaust the machine's pids at ~30 000).
/// A pipeline keeps its own delayed jobs; the timer holds only "wake pipeline P at time T"
/// entries and calls PipelineCore::release_due() on its thread when T has passed. A pipeline
/// asks again for its next due time from there. A stale entry (the pipeline stopped, or was
/// already woken) costs one call that finds nothing due.
///
/// Thread-safe. The thread starts with the first wake_at() and ends with the timer; the timer
/// may be destroyed on its own thread (the last pipeline released there), which it survives.
class DelayTimer {
 public:
  using Clock = std::chrono::steady_clock;

  DelayTimer() = default;
  ~DelayTimer();
  DelayTimer(const DelayTimer&) = delete;
  DelayTimer& operator=(const DelayTimer&) = delete;

  void wake_at(Clock::time_point due, std::weak_ptr<PipelineCore> core);
  /// Whether the thread has been started (for tests).
  [[nodiscard]] bool started() const;

 private:
  struct Wake {
    Clock::time_point due;
    std::uint64_t seq;
    std::weak_ptr<PipelineCore> core;
  };
  struct Later {
    bool operator()(const Wake& a, const Wake& b) const noexcept {
      return a.due != b.due ? a.due > b.due : a.seq > b.seq;
    }
  };
  /// What the thread needs: owned jointly with the timer, so the thread never touches a timer
  /// that is gone.
  struct State {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<Wake> wakes;  // min-heap (Later)
    std::uint64_t next_seq = 0;
    bool started = false;
    bool stopping = false;
  };
  static void run(const std::shared_ptr<State>& state);

  std::shared_ptr<State> state_ = std::make_shared<State>();
  std::thread thread_;
};

}  // namespace coyote::drivers::memory
