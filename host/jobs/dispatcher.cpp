#include "jobs/dispatcher.hpp"

#include "jobs/trace_context.hpp"
#include "support/guarded_call.hpp"
#include "support/loop_thread.hpp"

#include <string>
#include <utility>

namespace coyote::host::jobs {

Dispatcher::Dispatcher(PriorityQueue& queue, worker::JobExecutor& executor,
                       ResponseHandler& responses, JobClassStats* classes)
    : queue_(queue), executor_(executor), responses_(responses), classes_(classes) {}

void Dispatcher::start() {
  COYOTE_ASSERT_LOOP_THREAD();
  queue_.set_on_job([this] { pump(); });
  executor_.on_worker_ready([this] { pump(); });
}

void Dispatcher::pump() {
  COYOTE_ASSERT_LOOP_THREAD();
  // A ready-callback fired from inside try_exec must not nest a second drain loop.
  if (pumping_) {
    pump_again_ = true;
    return;
  }
  pumping_ = true;
  do {
    pump_again_ = false;
    while (!halted_ && executor_.ready_count() > 0) {
      auto taken = queue_.take();
      if (!taken) break;
      sdk::Job& job = *taken->job;
      (void)responses_.trace_nodes().ensure(job.headers(), trace_ids_);
      // One buffer for every job: its capacity stays, so the context costs no allocation.
      context_.clear();
      auto written = support::guarded_call(
          [&job] { return "job " + job.id() + " (pipeline " + job.pipeline() + ")"; },
          "write_context",
          [&] {
            job.write_context(context_);
            return sdk::Status::ok();
          });
      if (!written) {
        // The job cannot be sent without its context: settled as a failed delivery (retried
        // through its driver, then dead-lettered), never dropped.
        queue_.finished(taken->flow);
        responses_.settle_failed(std::move(taken->job), Failure::kDriverError, written.message());
        continue;
      }
      const std::uint32_t slot = park(std::move(taken->job));
      // Before try_exec: a pool may answer (fail) the job from inside it.
      flows_[slot] = taken->flow;
      // The clock is read before the job goes out so that the exec time covers the worker's
      // whole turn; the same reading ends the queue wait.
      const auto now = std::chrono::steady_clock::now();
      // The payload view stays valid: the job sits in its slot until finish() runs.
      const bool sent = executor_.try_exec(
          context_, job.payload(),
          [this, slot](const worker::ExecOutcome& outcome) { finish(slot, outcome); });
      if (!sent) {
        flows_[slot] = nullptr;  // restore() gives the flow's slot back
        taken->job = unpark(slot);
        queue_.restore(std::move(*taken));
        break;
      }
      started_[slot] = now;
      wait_.observe(now - taken->enqueued);
    }
  } while (pump_again_ && !halted_);
  pumping_ = false;
}

std::uint32_t Dispatcher::park(std::unique_ptr<sdk::Job> job) {
  if (!free_slots_.empty()) {
    const std::uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    in_flight_[slot] = std::move(job);
    return slot;
  }
  in_flight_.push_back(std::move(job));
  started_.emplace_back();
  flows_.push_back(nullptr);
  return static_cast<std::uint32_t>(in_flight_.size() - 1);
}

std::unique_ptr<sdk::Job> Dispatcher::unpark(std::uint32_t slot) {
  std::unique_ptr<sdk::Job> job = std::move(in_flight_[slot]);
  free_slots_.push_back(slot);
  return job;
}

void Dispatcher::finish(std::uint32_t slot, const worker::ExecOutcome& outcome) {
  COYOTE_ASSERT_LOOP_THREAD();
  // A slot that is empty would be a pool bug (done called twice): never crash the host on it.
  if (slot >= in_flight_.size() || !in_flight_[slot]) return;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_[slot]).count();
  const std::size_t bucket = exec_.bucket_of(seconds);
  exec_.observe_at(bucket, seconds);
  if (PriorityQueue::Flow* flow = flows_[slot]) {
    flows_[slot] = nullptr;
    queue_.finished(flow);
  }
  // Looked up before the handler takes the job (a driver's ack may move its message); the entry
  // stays valid after. A run of one class skips the hash (the memo); otherwise one lookup, and
  // no allocation once the class exists.
  JobClassStats::Entry* cls = nullptr;
  if (classes_ != nullptr) {
    const sdk::Job& job = *in_flight_[slot];
    cls = &classes_->of(job.pipeline(), job.name(), &class_memo_);
  }
  const bool acked = responses_.handle(unpark(slot), outcome);
  if (cls != nullptr) cls->record(seconds, bucket, acked);
}

}  // namespace coyote::host::jobs
