#include "worker/worker_pool.hpp"

#include "worker/process_spawn.hpp"

#include "log/log.hpp"

#include <signal.h>

#include <algorithm>

namespace coyote::host::worker {
namespace asio = boost::asio;
namespace {

constexpr std::chrono::milliseconds kBackoffFirst{100};
constexpr std::chrono::milliseconds kBackoffMax{5000};
// A worker that served this long after its handshake proves the command works: reset back-off.
constexpr std::chrono::milliseconds kStableAfter{2000};

}  // namespace

WorkerPool::WorkerPool(asio::io_context& io, PoolConfig config, ServerConfig server,
                       std::vector<std::string> host_env)
    : io_(io),
      config_(std::move(config)),
      server_(std::move(server)),
      target_(config_.num_workers),
      spawn_timer_(io),
      supervisor_timer_(io),
      stop_timer_(io),
      reset_timer_(io) {
  worker_options_.argv = config_.command.empty() ? server_.command : config_.command;
  worker_options_.env = build_environment(server_, host_env);
  worker_options_.max_frame_size = config_.max_frame_size;
  worker_options_.allocate_timeout = config_.allocate_timeout;
  worker_options_.stop_timeout = config_.stop_timeout;
}

WorkerPool::~WorkerPool() {
  for (auto& w : workers_) w->detach();
  workers_.clear();
}

void WorkerPool::start() {
  if (running_) return;
  // A worker that dies between our write and its read would otherwise kill the host with
  // SIGPIPE; the write error is handled as a lost worker instead.
  ::signal(SIGPIPE, SIG_IGN);
  running_ = true;
  log::get("worker")->info("pool '{}': starting {} worker(s): {}", config_.name, target_,
                           join_command(worker_options_.argv));
  spawn_missing();
  arm_supervisor();
}

void WorkerPool::spawn_missing() {
  if (!running_ || reset_replacing_) return;
  if (failures_ > 0) {
    const auto shift = std::min(failures_ - 1, 10u);
    schedule_spawn(std::min(kBackoffMax, kBackoffFirst * (1 << shift)));
    return;
  }
  while (running_ && workers_.size() < target_ && failures_ == 0) spawn_one();
  if (workers_.size() < target_ && failures_ > 0) spawn_missing();
}

void WorkerPool::schedule_spawn(std::chrono::milliseconds delay) {
  if (spawn_armed_) return;
  spawn_armed_ = true;
  spawn_timer_.expires_after(delay);
  spawn_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    spawn_armed_ = false;
    if (!running_) return;
    // One probe at a time while failing; the rest follow once it succeeds.
    if (workers_.size() < target_) spawn_one();
    if (workers_.size() < target_ && failures_ > 0) spawn_missing();
  });
}

void WorkerPool::spawn_one() {
  WorkerProcess::Callbacks callbacks;
  callbacks.ready = [this](WorkerProcess& w) { on_ready(w); };
  callbacks.dead = [this](WorkerProcess& w, const std::string& reason) { on_dead(w, reason); };
  callbacks.finished = [this](WorkerProcess& w, std::shared_ptr<WorkerJob> job, ExecOutcome outcome,
                              bool restart) {
    on_exec_done(w, std::move(job), std::move(outcome), restart);
  };
  auto w = std::make_shared<WorkerProcess>(io_, worker_options_, std::move(callbacks));
  w->generation = generation_;
  w->max_execs = jittered_max_jobs();
  if (auto started = w->start(); !started) {
    last_error_ = started.message();
    ++failures_;
    log::get("worker")->error("pool '{}': {}", config_.name, last_error_);
    return;
  }
  workers_.push_back(std::move(w));
}

std::uint64_t WorkerPool::jittered_max_jobs() {
  if (config_.max_jobs == 0) return 0;
  std::uniform_int_distribution<int> percent(0, 14);
  return config_.max_jobs + config_.max_jobs * static_cast<std::uint64_t>(percent(rng_)) / 100;
}

WorkerPool::WorkerPtr WorkerPool::find(const WorkerProcess& w) const {
  for (const auto& p : workers_) {
    if (p.get() == &w) return p;
  }
  return nullptr;
}

void WorkerPool::on_ready(WorkerProcess& w) {
  log::get("worker")->debug("pool '{}': worker {} is ready", config_.name, w.pid());
  if (!running_) {
    w.stop();
    return;
  }
  if (reset_done_) {
    check_reset_progress();
    if (holding_) return;
  }
  offer(w);
}

void WorkerPool::offer(WorkerProcess& w) {
  if (!w.ready() || w.busy() || !running_ || holding_) return;
  if (!reruns_.empty()) {
    auto job = std::move(reruns_.front());
    reruns_.pop_front();
    run_on(w, std::move(job));
    return;
  }
  if (ready_callback_) ready_callback_();
}

bool WorkerPool::try_exec(std::string context, std::string_view body, Done done) {
  if (!accepting()) return false;
  for (auto& w : workers_) {
    if (w->ready() && !w->busy()) {
      auto job = std::make_shared<WorkerJob>();
      job->context = std::move(context);
      job->body = body;
      job->done = std::move(done);
      run_on(*w, std::move(job));
      return true;
    }
  }
  return false;
}

void WorkerPool::run_on(WorkerProcess& w, std::shared_ptr<WorkerJob> job) {
  const auto ttl = config_.supervisor.enabled ? config_.supervisor.exec_ttl : Millis{0};
  w.exec(std::move(job), ttl);
}

void WorkerPool::on_exec_done(WorkerProcess& w, std::shared_ptr<WorkerJob> job, ExecOutcome outcome,
                              bool restart) {
  const bool alive = w.alive() && outcome.kind != ExecOutcome::Kind::kWorkerLost;
  if (alive) {
    if (restart) {
      log::get("worker")->info("pool '{}': worker {} asked to be restarted; re-running its job",
                               config_.name, w.pid());
      w.stop(WorkerState::kInvalid);
    } else if (w.max_execs != 0 && w.execs() >= w.max_execs) {
      w.stop(WorkerState::kMaxJobsReached);
    } else if (w.stop_after_job) {
      w.stop(w.stop_after_job_state);
    } else if (holding_ && reset_done_ && w.generation != generation_) {
      // Reset waits for this worker; leave it ready, the reset stops it.
    }
  }
  if (restart) {
    if (!running_) {
      ExecOutcome lost;
      lost.kind = ExecOutcome::Kind::kWorkerLost;
      lost.message = "the pool stopped before the job could be re-run after a worker restart";
      lost.pid = outcome.pid;
      if (job->done) job->done(std::move(lost));
    } else {
      reruns_.push_back(job);
      for (auto& other : workers_) {
        if (reruns_.empty()) break;
        if (other.get() != &w) offer(*other);
      }
    }
  } else if (job->done) {
    // Hand the worker its next job before settling this one: the worker idles for as long as
    // the host takes between reading its reply and writing the next job, and settling (driver
    // calls, retry decisions) need not be on that path. offer() refuses while stopping or
    // resetting, and a worker leaving after this job (max_jobs, restart) is not ready.
    if (alive && w.ready()) offer(w);
    auto done = std::move(job->done);
    job->done = nullptr;
    done(std::move(outcome));
  }
  if (stop_done_) check_stop_progress();
  if (reset_done_) check_reset_progress();
  if (alive && w.ready()) offer(w);
}

void WorkerPool::on_dead(WorkerProcess& w, const std::string& reason) {
  auto self = find(w);
  const bool intentional = w.stop_requested() && w.state() != WorkerState::kErrored &&
                           w.state() != WorkerState::kExecTtlReached;
  if (intentional) {
    log::get("worker")->debug("pool '{}': worker {} stopped ({})", config_.name, w.pid(),
                              state_name(w.state()));
  } else {
    log::get("worker")->error("pool '{}': worker {} lost: {}", config_.name, w.pid(), reason);
    last_error_ = reason;
  }
  // Back-off is for workers that cannot start (bad command, syntax error). One that finished its
  // handshake and ran a job has shown that it starts: replace it at once, or a burst of external
  // kills (or a poison job, which the engine retries with its own back-off) would starve the pool.
  const bool handshook = w.ready_since() != std::chrono::steady_clock::time_point{};
  const bool proved =
      handshook &&
      (w.execs() > 0 || std::chrono::steady_clock::now() - w.ready_since() >= kStableAfter);
  if (intentional || proved || w.state() == WorkerState::kExecTtlReached) {
    failures_ = 0;
  } else if (!w.killed_externally()) {
    ++failures_;
  }
  workers_.erase(std::remove(workers_.begin(), workers_.end(), self), workers_.end());
  if (stop_done_) {
    check_stop_progress();
    return;
  }
  if (reset_done_) check_reset_progress();
  spawn_missing();
}

std::size_t WorkerPool::busy_count() const {
  return static_cast<std::size_t>(
      std::count_if(workers_.begin(), workers_.end(), [](const auto& w) { return w->busy(); }));
}

void WorkerPool::on_worker_ready(std::function<void()> callback) {
  ready_callback_ = std::move(callback);
}

std::size_t WorkerPool::ready_count() const {
  if (!accepting()) return 0;
  return static_cast<std::size_t>(std::count_if(
      workers_.begin(), workers_.end(), [](const auto& w) { return w->ready() && !w->busy(); }));
}

std::vector<WorkerInfo> WorkerPool::workers() const {
  std::vector<WorkerInfo> out;
  out.reserve(workers_.size());
  const std::string command = join_command(worker_options_.argv);
  for (const auto& w : workers_) {
    WorkerInfo info;
    info.pid = w->pid();
    info.status = static_cast<int>(w->state());
    info.status_str = std::string(state_name(w->state()));
    info.num_execs = w->execs();
    info.created_ns = w->created_ns();
    info.memory_usage = w->rss_bytes();
    info.command = command;
    info.pool = config_.name;
    out.push_back(std::move(info));
  }
  return out;
}

// ---- supervisor (spec 2.9) ----------------------------------------------------------------

void WorkerPool::arm_supervisor() {
  const auto& s = config_.supervisor;
  if (!s.enabled || !running_) return;
  if (s.ttl.count() == 0 && s.idle_ttl.count() == 0 && s.max_worker_memory_mb == 0) return;
  supervisor_timer_.expires_after(s.watch_tick);
  supervisor_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !running_) return;
    supervise();
    arm_supervisor();
  });
}

void WorkerPool::supervise() {
  const auto& s = config_.supervisor;
  const auto now = std::chrono::steady_clock::now();
  const std::uint64_t memory_limit = s.max_worker_memory_mb * 1024 * 1024;
  // Copy: stop() may finish a worker synchronously only through callbacks, but be safe.
  auto snapshot = workers_;
  for (auto& w : snapshot) {
    if (!w->alive() || w->stop_requested() || w->state() == WorkerState::kInactive) continue;
    WorkerState verdict = WorkerState::kReady;
    std::string why;
    if (s.ttl.count() > 0 && now - w->started() >= s.ttl) {
      verdict = WorkerState::kTtlReached;
      why = "ttl reached";
    } else if (memory_limit > 0) {
      const auto rss = w->rss_bytes();
      if (rss >= memory_limit) {
        verdict = WorkerState::kMaxMemoryReached;
        why = "memory " + std::to_string(rss / (1024 * 1024)) + " MB >= max_worker_memory " +
              std::to_string(s.max_worker_memory_mb) + " MB";
      }
    }
    if (verdict == WorkerState::kReady && s.idle_ttl.count() > 0 && w->ready() && w->execs() > 0 &&
        now - w->last_used() >= s.idle_ttl) {
      verdict = WorkerState::kIdleTtlReached;
      why = "idle_ttl reached";
    }
    if (verdict == WorkerState::kReady) continue;
    log::get("worker")->info("pool '{}': supervisor recycles worker {}: {}", config_.name, w->pid(),
                             why);
    if (w->busy()) {
      w->stop_after_job = true;
      w->stop_after_job_state = verdict;
    } else {
      w->stop(verdict);
    }
  }
}

// ---- add / remove ---------------------------------------------------------------------------

sdk::Status WorkerPool::add_worker() {
  if (!running_) return sdk::Status::error("the pool is not running");
  if (target_ >= 500) return sdk::Status::error("the pool already has 500 workers, the maximum");
  ++target_;
  spawn_missing();
  return sdk::Status::ok();
}

sdk::Status WorkerPool::remove_worker() {
  if (target_ <= 1) {
    return sdk::Status::error("cannot remove the last worker of pool '" + config_.name + "'");
  }
  --target_;
  // Prefer an idle worker; otherwise the busiest one leaves after its current job.
  for (auto& w : workers_) {
    if (!w->stop_requested() && !w->busy()) {
      w->stop(WorkerState::kStopping);
      return sdk::Status::ok();
    }
  }
  for (auto& w : workers_) {
    if (!w->stop_requested() && !w->stop_after_job) {
      w->stop_after_job = true;
      w->stop_after_job_state = WorkerState::kStopping;
      return sdk::Status::ok();
    }
  }
  return sdk::Status::ok();
}

// ---- reset (spec 2.11) ----------------------------------------------------------------------

void WorkerPool::reset(ResetDone done) {
  if (!running_) {
    done(sdk::Status::error("the pool is not running"));
    return;
  }
  if (reset_done_) {
    done(sdk::Status::error("a reset of pool '" + config_.name + "' is already in progress"));
    return;
  }
  log::get("worker")->info("pool '{}': reset: waiting for {} busy worker(s)", config_.name,
                           busy_count());
  reset_done_ = std::move(done);
  holding_ = true;
  ++generation_;
  reset_timer_.expires_after(config_.reset_timeout);
  reset_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !reset_done_) return;
    if (!reset_replacing_) {
      log::get("worker")->warn("pool '{}': reset_timeout passed with busy workers; stopping them",
                               config_.name);
      reset_replace();
      return;
    }
    finish_reset(sdk::Status::error("pool '" + config_.name +
                                    "' did not get its workers back within reset_timeout" +
                                    (last_error_.empty() ? std::string() : ": " + last_error_)));
  });
  check_reset_progress();
}

void WorkerPool::reset_replace() {
  reset_replacing_ = true;
  auto old = workers_;
  for (auto& w : old) {
    if (w->generation != generation_) w->stop(WorkerState::kStopping);
  }
  reset_timer_.cancel();
  reset_timer_.expires_after(config_.reset_timeout + config_.allocate_timeout);
  reset_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !reset_done_) return;
    finish_reset(sdk::Status::error("pool '" + config_.name +
                                    "' did not get its workers back after reset" +
                                    (last_error_.empty() ? std::string() : ": " + last_error_)));
  });
  check_reset_progress();
}

void WorkerPool::check_reset_progress() {
  if (!reset_done_) return;
  if (!reset_replacing_) {
    if (busy_count() == 0) reset_replace();
    return;
  }
  const bool old_left = std::none_of(workers_.begin(), workers_.end(), [this](const auto& w) {
    return w->generation != generation_;
  });
  if (old_left && workers_.size() < target_ && !spawn_armed_) {
    reset_replacing_ = false;  // let spawn_missing run
    spawn_missing();
    reset_replacing_ = true;
  }
  const auto ready = static_cast<std::size_t>(
      std::count_if(workers_.begin(), workers_.end(), [](const auto& w) { return w->ready(); }));
  if (old_left && ready >= target_) finish_reset(sdk::Status::ok());
}

void WorkerPool::finish_reset(sdk::Status outcome) {
  reset_timer_.cancel();
  reset_replacing_ = false;
  holding_ = false;
  auto done = std::move(reset_done_);
  reset_done_ = nullptr;
  log::get("worker")->info("pool '{}': reset {}", config_.name,
                           outcome ? std::string("done") : "failed: " + outcome.message());
  spawn_missing();
  done(std::move(outcome));
  auto snapshot = workers_;
  for (auto& w : snapshot) offer(*w);
}

// ---- stop (spec 2.12) -----------------------------------------------------------------------

void WorkerPool::stop(std::function<void()> done) {
  if (!running_ && workers_.empty()) {
    done();
    return;
  }
  running_ = false;
  holding_ = true;
  stop_done_ = std::move(done);
  spawn_timer_.cancel();
  supervisor_timer_.cancel();
  if (reset_done_) finish_reset(sdk::Status::error("the pool is stopping"));
  while (!reruns_.empty()) {
    auto job = std::move(reruns_.front());
    reruns_.pop_front();
    ExecOutcome lost;
    lost.kind = ExecOutcome::Kind::kWorkerLost;
    lost.message = "the pool stopped before the job could be re-run after a worker restart";
    if (job->done) job->done(std::move(lost));
  }
  stop_timer_.expires_after(config_.destroy_timeout);
  stop_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !stop_done_ || stop_sent_) return;
    log::get("worker")->warn("pool '{}': destroy_timeout passed with busy workers; stopping them",
                             config_.name);
    stop_sent_ = true;
    auto snapshot = workers_;
    for (auto& w : snapshot) w->stop(WorkerState::kStopping);
  });
  check_stop_progress();
}

void WorkerPool::check_stop_progress() {
  if (!stop_done_) return;
  if (!stop_sent_ && busy_count() == 0) {
    stop_sent_ = true;
    auto snapshot = workers_;
    for (auto& w : snapshot) w->stop(WorkerState::kStopping);
  }
  if (workers_.empty()) {
    stop_timer_.cancel();
    auto done = std::move(stop_done_);
    stop_done_ = nullptr;
    log::get("worker")->info("pool '{}': all workers stopped", config_.name);
    done();
  }
}

}  // namespace coyote::host::worker
