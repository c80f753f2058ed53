// TestExecutor: an in-process JobExecutor whose "workers" the test answers by hand.
#pragma once

#include "worker/job_executor.hpp"

#include <deque>
#include <string>
#include <utility>

namespace coyote::test {

class TestExecutor final : public host::worker::JobExecutor {
 public:
  struct Call {
    std::string context;
    std::string body;
    Done done;
  };

  bool try_exec(std::string_view context, std::string_view body, Done done) override {
    if (ready_ == 0 || refuse_) return false;
    --ready_;
    calls.push_back(Call{std::string(context), std::string(body), std::move(done)});
    return true;
  }
  void on_worker_ready(std::function<void()> callback) override { on_ready_ = std::move(callback); }
  [[nodiscard]] std::size_t ready_count() const override { return ready_; }

  /// Workers become ready (spawned).
  void add_workers(std::size_t n) {
    ready_ += n;
    if (on_ready_) on_ready_();
  }
  /// The oldest running job finishes with `outcome`; its worker becomes ready again.
  void finish(host::worker::ExecOutcome outcome, bool worker_survives = true) {
    Call call = std::move(calls.front());
    calls.pop_front();
    call.done(std::move(outcome));
    if (worker_survives) add_workers(1);
  }
  void reply(std::string body) {
    host::worker::ExecOutcome o;
    o.body = std::move(body);
    finish(std::move(o));
  }
  /// Claims a ready worker but refuses the job (a race the dispatcher must survive).
  void set_refuse(bool refuse) { refuse_ = refuse; }

  std::deque<Call> calls;

 private:
  std::size_t ready_ = 0;
  bool refuse_ = false;
  std::function<void()> on_ready_;
};

}  // namespace coyote::test
