// Dispatcher: pairs queued jobs with ready workers of one pool, event-driven.
#pragma once

#include "jobs/duration_histogram.hpp"
#include "jobs/job_class_stats.hpp"
#include "jobs/priority_queue.hpp"
#include "jobs/response_handler.hpp"
#include "support/fast_random.hpp"
#include "worker/job_executor.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace coyote::host::jobs {

/// One per pool, fed by that pool's PriorityQueue. pump() runs when a job arrives (the queue's
/// posted notice) and when a worker becomes ready (JobExecutor::on_worker_ready); it hands out
/// jobs until the queue or the ready workers run out. Nothing polls.
///
/// Loop thread only. Jobs in flight are owned here until their acknowledgement call returns.
class Dispatcher {
 public:
  /// `classes`, when given, gets every answered job's outcome and exec time by job class.
  Dispatcher(PriorityQueue& queue, worker::JobExecutor& executor, ResponseHandler& responses,
             JobClassStats* classes = nullptr);
  ~Dispatcher() = default;
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  /// Subscribes to the queue and the executor. Call once, before the loop runs.
  void start();
  /// Stops handing out jobs (graceful stop); replies for jobs in flight are still handled.
  void halt() { halted_ = true; }
  void pump();

  [[nodiscard]] std::size_t in_flight() const { return in_flight_.size() - free_slots_.size(); }
  /// Calls `visit(job)` for every job in flight (for metrics: one step per busy worker).
  template <typename Visit>
  void visit_in_flight(Visit&& visit) const {
    for (const auto& job : in_flight_) {
      if (job) visit(static_cast<const sdk::Job&>(*job));
    }
  }

  /// How long dispatched jobs waited in the queue for a worker, and how long workers took to
  /// answer them (reruns after a worker-requested restart included).
  [[nodiscard]] const DurationHistogram& wait_times() const noexcept { return wait_; }
  [[nodiscard]] const DurationHistogram& exec_times() const noexcept { return exec_; }

 private:
  void finish(std::uint32_t slot, const worker::ExecOutcome& outcome);
  std::uint32_t park(std::unique_ptr<sdk::Job> job);
  std::unique_ptr<sdk::Job> unpark(std::uint32_t slot);

  PriorityQueue& queue_;
  worker::JobExecutor& executor_;
  ResponseHandler& responses_;
  JobClassStats* classes_;
  // Jobs in flight, one slot each, reused through free_slots_: as many slots as the pool ever
  // had workers busy at once, and no allocation per job (a hash map node each was measurable).
  std::vector<std::unique_ptr<sdk::Job>> in_flight_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<std::chrono::steady_clock::time_point> started_;  // by slot, for exec_
  std::vector<PriorityQueue::Flow*> flows_;  // by slot: the queue's flow (flow mode), or null
  DurationHistogram wait_;
  DurationHistogram exec_;
  JobClassStats::Memo class_memo_;  ///< the class of the last answered job
  support::FastRandom trace_ids_;
  std::string context_;  ///< the context JSON of the job being sent, reused
  bool pumping_ = false;
  bool pump_again_ = false;
  bool halted_ = false;
};

}  // namespace coyote::host::jobs
