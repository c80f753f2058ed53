#include "jobs/dispatcher.hpp"

#include <string>
#include <utility>

namespace coyote::host::jobs {

Dispatcher::Dispatcher(PriorityQueue& queue, worker::JobExecutor& executor,
                       ResponseHandler& responses)
    : queue_(queue), executor_(executor), responses_(responses) {}

void Dispatcher::start() {
  queue_.set_on_job([this] { pump(); });
  executor_.on_worker_ready([this] { pump(); });
}

void Dispatcher::pump() {
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
      const std::uint64_t ticket = next_ticket_++;
      sdk::Job& job = *taken->job;
      const std::string context = job.context();
      in_flight_.emplace(ticket, std::move(taken->job));
      const bool sent = executor_.try_exec(
          context, job.payload(),
          [this, ticket](worker::ExecOutcome outcome) { finish(ticket, outcome); });
      if (!sent) {
        auto it = in_flight_.find(ticket);
        taken->job = std::move(it->second);
        in_flight_.erase(it);
        queue_.restore(std::move(*taken));
        break;
      }
    }
  } while (pump_again_ && !halted_);
  pumping_ = false;
}

void Dispatcher::finish(std::uint64_t ticket, const worker::ExecOutcome& outcome) {
  auto it = in_flight_.find(ticket);
  if (it == in_flight_.end()) return;  // assert-worthy, but a pool bug must not crash the host
  std::unique_ptr<sdk::Job> job = std::move(it->second);
  in_flight_.erase(it);
  responses_.handle(*job, outcome);
}

}  // namespace coyote::host::jobs
