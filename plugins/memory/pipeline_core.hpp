// PipelineCore: one memory pipeline's state, shared by its driver and its jobs.
#pragma once

#include "memory/delay_timer.hpp"
#include "memory/packed_message.hpp"

#include <coyote/sdk/logger.hpp>

#include <coyote/sdk/message.hpp>
#include <coyote/sdk/queue.hpp>
#include <coyote/sdk/state.hpp>
#include <coyote/sdk/status.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace coyote::drivers::memory {

class MemoryJob;

/// Flow: push → local FIFO → (while running and in-flight < prefetch) → host Queue → worker →
/// ack/nack/requeue. In flight = in the host queue or executing, not yet settled. Jobs wait in
/// the FIFO packed (PackedMessage); a push that finds the FIFO empty and room in flight goes
/// straight to the host queue without being packed.
///
/// Delayed jobs (push delay, nack/requeue delay) wait in one min-heap keyed by due time; the
/// plugin's one DelayTimer thread wakes the pipeline when the earliest is due. A million delayed
/// jobs cost a heap entry each, and ten thousand pipelines with delayed jobs one thread. A delay
/// longer than kMaxDelay is held for kMaxDelay (the host refuses such delays before they get
/// here; the cap keeps the due time from overflowing into the past).
///
/// Shared (std::shared_ptr) because jobs outlive the driver: a job still executing when its
/// pipeline is destroyed acknowledges into a stopped core and gets an error, not a dangling
/// pointer. Every method is thread-safe: the host calls in on its loop thread, the timer on its
/// own.
class PipelineCore : public std::enable_shared_from_this<PipelineCore> {
 public:
  /// The longest delay held; longer ones are held this long (100 years of 365.25 days).
  static constexpr std::chrono::seconds kMaxDelay{3'155'760'000};

  /// `log` (may be null) hears what a stop drops.
  PipelineCore(sdk::Queue& queue, std::string name, std::int64_t priority, std::int64_t prefetch,
               std::size_t buffer_limit, std::shared_ptr<DelayTimer> timer,
               sdk::Logger* log = nullptr);
  ~PipelineCore();
  PipelineCore(const PipelineCore&) = delete;
  PipelineCore& operator=(const PipelineCore&) = delete;

  sdk::Status push(sdk::Message message);
  /// Pushes in order under one lock; stops at the first refusal (earlier jobs stay pushed).
  sdk::Status push_batch(std::vector<sdk::Message>& messages);
  sdk::Status run();
  sdk::Status pause();
  sdk::Status resume();
  /// Drops buffered and delayed jobs, counting them in a warning and naming them in a
  /// LossReport file. Idempotent.
  sdk::Status stop();
  [[nodiscard]] sdk::State state();

  /// A job of this pipeline was acked or nacked (without redelivery).
  sdk::Status settle(bool was_delayed);
  /// A job of this pipeline goes round again after `delay`. `message` is moved from only on
  /// success.
  sdk::Status reenter(sdk::Message&& message, std::chrono::seconds delay, bool was_delayed);
  /// A job was destroyed without acknowledgement (the host removed it from its queue).
  void forget(bool was_delayed);
  /// DelayTimer: moves the delayed jobs that are due into the FIFO and asks for the next wake.
  void release_due();

  [[nodiscard]] std::int64_t prefetch() const noexcept { return prefetch_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// `,"pipeline":"<name>"}`: the end of every context of this pipeline, escaped once.
  [[nodiscard]] const std::string& context_tail() const noexcept { return context_tail_; }
  [[nodiscard]] std::size_t buffer_limit() const noexcept { return buffer_limit_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Delayed {
    Clock::time_point due;
    std::uint64_t seq;
    PackedMessage message;
  };
  struct DueLater {
    bool operator()(const Delayed& a, const Delayed& b) const noexcept {
      return a.due != b.due ? a.due > b.due : a.seq > b.seq;
    }
  };

  sdk::Status push_locked(sdk::Message& message);
  void schedule_locked(sdk::Message message, std::chrono::seconds delay);
  void report_loss_locked();
  void uncount_locked(bool was_delayed);
  void move_locked();
  /// Hands one job to the host queue. On false (the queue is full) `message` is left intact and
  /// a wake-up for when there is room is registered.
  bool offer_locked(sdk::Message& message, bool delayed);
  /// Offers `job` to the host queue; refused, it is handed back in `job` and the core waits for
  /// room.
  bool offer_job_locked(std::unique_ptr<MemoryJob>& job);

  sdk::Queue& queue_;
  const std::string name_;
  const std::string context_tail_;
  const std::int64_t priority_;
  const std::int64_t prefetch_;
  const std::size_t buffer_limit_;
  const std::shared_ptr<DelayTimer> timer_;
  sdk::Logger* const log_;

  std::mutex mutex_;
  std::deque<PackedMessage> buffer_;
  std::int64_t in_flight_ = 0;
  std::int64_t delayed_count_ = 0;
  bool running_ = false;
  bool stopped_ = false;
  bool waiting_for_room_ = false;

  std::vector<Delayed> delayed_;  // min-heap on (due, seq)
  std::uint64_t next_delay_seq_ = 0;
  /// The earliest wake-up asked of the timer and not yet delivered (max: none).
  Clock::time_point next_wake_ = Clock::time_point::max();
};

}  // namespace coyote::drivers::memory
