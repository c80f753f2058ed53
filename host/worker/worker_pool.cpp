#include "worker/worker_pool.hpp"

#include "log/log.hpp"
#include "support/loop_thread.hpp"
#include "worker/process_spawn.hpp"
#include "worker/supervisor.hpp"

#include <csignal>

#include <algorithm>
#include <cassert>

namespace coyote::host::worker {
namespace asio = boost::asio;
namespace {

/// Re-runs of one delivery after its worker asked to be restarted ({"stop":true}).
constexpr std::uint32_t kRerunsAfterRestart = 1;

[[maybe_unused]] bool sigpipe_ignored() {
  struct sigaction current {};
  ::sigaction(SIGPIPE, nullptr, &current);
  return current.sa_handler == SIG_IGN;
}

/// Why a dead worker is replaced; nullopt for one that left for good (stop, reset, removal).
std::optional<RestartCause> restart_cause(WorkerState state, bool intentional, bool exec_ttl) {
  if (exec_ttl) return RestartCause::kExecTtl;
  if (!intentional) return RestartCause::kCrash;
  switch (state) {
    case WorkerState::kTtlReached:
      return RestartCause::kTtl;
    case WorkerState::kIdleTtlReached:
      return RestartCause::kIdleTtl;
    case WorkerState::kMaxJobsReached:
      return RestartCause::kMaxJobs;
    case WorkerState::kMaxMemoryReached:
      return RestartCause::kMemory;
    case WorkerState::kInvalid:
      return RestartCause::kRequested;
    default:
      return std::nullopt;
  }
}

}  // namespace

WorkerPool::WorkerPool(asio::io_context& io, PoolConfig config, ServerConfig server,
                       const std::vector<std::string>& host_env)
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
  worker_options_.credentials = server_.credentials;
}

WorkerPool::~WorkerPool() {
  for (auto& slot : slots_) slot->process->detach();
  slots_.clear();
}

void WorkerPool::start() {
  COYOTE_ASSERT_LOOP_THREAD();
  if (phase_ != Phase::kIdle) return;
  // One SIGPIPE policy, set once by `coyote serve` (and the tests' main): ignored process-wide,
  // so a worker that dies between our write and its read is an EPIPE on its pipe, handled as a
  // lost worker, instead of a signal that kills the host.
  assert(sigpipe_ignored() && "ignore SIGPIPE before starting a worker pool, as serve does");
  phase_ = Phase::kRunning;
  log::get("worker")->info("pool '{}': starting {} worker(s): {}", config_.name, target_,
                           join_command(worker_options_.argv));
  spawn_missing();
  arm_supervisor();
}

void WorkerPool::spawn_missing() {
  if (!spawning()) return;
  if (backoff_.failing()) {
    schedule_spawn(backoff_.delay());
    return;
  }
  while (slots_.size() < target_ && !backoff_.failing()) spawn_one();
  if (slots_.size() < target_ && backoff_.failing()) schedule_spawn(backoff_.delay());
}

void WorkerPool::schedule_spawn(std::chrono::milliseconds delay) {
  if (spawn_armed_) return;
  spawn_armed_ = true;
  spawn_timer_.expires_after(delay);
  spawn_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    spawn_armed_ = false;
    if (!running()) return;
    // One probe at a time while failing; the rest follow once it succeeds.
    if (slots_.size() < target_) spawn_one();
    if (slots_.size() < target_ && backoff_.failing()) spawn_missing();
  });
}

void WorkerPool::spawn_one() {
  auto slot = std::make_unique<Slot>();
  Slot* s = slot.get();
  WorkerProcess::Callbacks callbacks;
  callbacks.ready = [this, s](WorkerProcess&) { on_ready(*s); };
  callbacks.dead = [this, s](WorkerProcess&, const std::string& reason) { on_dead(*s, reason); };
  callbacks.finished = [this, s](WorkerProcess&, std::shared_ptr<WorkerJob> job,
                                 const ExecOutcome& outcome, bool restart) {
    on_exec_done(*s, std::move(job), outcome, restart);
  };
  slot->process = std::make_shared<WorkerProcess>(io_, worker_options_, std::move(callbacks));
  slot->generation = generation_;
  slot->max_execs = jittered_max_jobs();
  if (auto started = slot->process->start(); !started) {
    last_error_ = started.message();
    if (!ever_ready_) ++startup_failures_;
    backoff_.spawn_failed();
    log::get("worker")->error("pool '{}': {}", config_.name, last_error_);
    return;
  }
  slots_.push_back(std::move(slot));
}

std::uint64_t WorkerPool::jittered_max_jobs() {
  if (config_.max_jobs == 0) return 0;
  std::uniform_int_distribution<int> percent(0, 14);
  return config_.max_jobs + config_.max_jobs * static_cast<std::uint64_t>(percent(rng_)) / 100;
}

void WorkerPool::on_ready(Slot& slot) {
  WorkerProcess& w = *slot.process;
  ever_ready_ = true;
  log::get("worker")->debug("pool '{}': worker {} is ready", config_.name, w.pid());
  if (!running()) {
    w.stop();
    return;
  }
  if (resetting()) {
    check_reset_progress();
    if (phase_ != Phase::kRunning) return;
  }
  offer(w);
}

void WorkerPool::offer(WorkerProcess& w) {
  if (!w.ready() || w.busy() || phase_ != Phase::kRunning) return;
  if (!reruns_.empty()) {
    auto job = std::move(reruns_.front());
    reruns_.pop_front();
    run_on(w, std::move(job));
    return;
  }
  if (ready_callback_) ready_callback_();
}

std::shared_ptr<WorkerJob> WorkerPool::acquire_job() {
  if (spare_jobs_.empty()) return std::make_shared<WorkerJob>();
  auto job = std::move(spare_jobs_.back());
  spare_jobs_.pop_back();
  return job;
}

void WorkerPool::recycle(std::shared_ptr<WorkerJob> job) {
  // A handler still holding it (a partial write, an exec_ttl timer) compares it by address:
  // such a job is left to die with that handler instead.
  if (job.use_count() != 1 || spare_jobs_.size() >= slots_.size() + 1) return;
  job->context.clear();
  job->body = {};
  job->done = nullptr;
  job->restarts = 0;
  spare_jobs_.push_back(std::move(job));
}

bool WorkerPool::try_exec(std::string_view context, std::string_view body, Done done) {
  COYOTE_ASSERT_LOOP_THREAD();
  if (phase_ != Phase::kRunning) return false;
  for (auto& slot : slots_) {
    WorkerProcess& w = *slot->process;
    if (w.ready() && !w.busy()) {
      auto job = acquire_job();
      // clear + append, not assign: assign takes string's general replace path (overlap
      // checks: with the reply body below, ~60 instructions per job, callgrind); the recycled
      // buffer has the capacity.
      job->context.clear();
      job->context.append(context);
      job->body = body;
      job->done = std::move(done);
      run_on(w, std::move(job));
      return true;
    }
  }
  return false;
}

void WorkerPool::run_on(WorkerProcess& w, std::shared_ptr<WorkerJob> job) const {
  const auto ttl = config_.supervisor.enabled ? config_.supervisor.exec_ttl : Millis{0};
  w.exec(std::move(job), ttl);
}

void WorkerPool::on_exec_done(Slot& slot, std::shared_ptr<WorkerJob> job,
                              const ExecOutcome& outcome, bool restart) {
  COYOTE_ASSERT_LOOP_THREAD();
  WorkerProcess& w = *slot.process;
  // The rest of a streamed reply would arrive while the worker is idle: recycle it instead.
  if (outcome.kind == ExecOutcome::Kind::kStreamed) slot.stop_after_job = WorkerState::kInvalid;
  const bool alive = w.alive() && outcome.kind != ExecOutcome::Kind::kWorkerLost;
  if (alive) {
    // A worker of an older generation is left ready: the reset in progress stops it.
    if (restart) {
      log::get("worker")->info("pool '{}': worker {} asked to be restarted; re-running its job",
                               config_.name, w.pid());
      w.stop(WorkerState::kInvalid);
    } else if (slot.max_execs != 0 && w.execs() >= slot.max_execs) {
      w.stop(WorkerState::kMaxJobsReached);
    } else if (slot.stop_after_job) {
      w.stop(*slot.stop_after_job);
    }
  }
  if (restart) {
    if (!running() || job->restarts >= kRerunsAfterRestart) {
      // RoadRunner re-runs the job of a worker that asks to be restarted, for ever: a job that
      // makes every worker ask looped (643 restarts in 10 s). After one re-run the request is a
      // failed attempt, which the pipeline's retry policy counts and dead-letters.
      ExecOutcome lost;
      lost.kind = ExecOutcome::Kind::kWorkerLost;
      lost.message = running()
                         ? "the worker asked to be restarted on this job " +
                               std::to_string(job->restarts + 1) +
                               " times in a row (after a re-run on a fresh worker); counted as a "
                               "failed attempt"
                         : "the pool stopped before the job could be re-run after a worker restart";
      lost.pid = outcome.pid;
      if (job->done) job->done(lost);
    } else {
      ++job->restarts;
      reruns_.push_back(std::move(job));
      for (auto& other : slots_) {
        if (reruns_.empty()) break;
        if (other->process.get() != &w) offer(*other->process);
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
    done(outcome);
    recycle(std::move(job));
  }
  if (stopping()) check_stop_progress();
  if (resetting()) check_reset_progress();
  if (alive && w.ready()) offer(w);
}

void WorkerPool::on_dead(Slot& slot, const std::string& reason) {
  // Keeps the process alive through the erase below: this runs inside its own callback.
  const std::shared_ptr<WorkerProcess> process = slot.process;
  const WorkerProcess& w = *process;
  const bool exec_ttl = w.state() == WorkerState::kExecTtlReached;
  const bool intentional = w.stop_requested() && w.state() != WorkerState::kErrored && !exec_ttl;
  if (intentional) {
    log::get("worker")->debug("pool '{}': worker {} stopped ({})", config_.name, w.pid(),
                              state_name(w.state()));
  } else {
    log::get("worker")->error("pool '{}': worker {} lost: {}", config_.name, w.pid(), reason);
    last_error_ = reason;
    if (!ever_ready_ && !w.killed_externally()) ++startup_failures_;
  }
  RespawnBackoff::Death death;
  death.intended = intentional || exec_ttl;
  death.killed_externally = w.killed_externally();
  death.handshook = w.ready_since() != std::chrono::steady_clock::time_point{};
  death.ran_a_job = w.execs() > 0;
  death.ready_for = std::chrono::steady_clock::now() - w.ready_since();
  backoff_.died(death);
  if (const auto cause = restart_cause(w.state(), intentional, exec_ttl); cause && running()) {
    ++restarts_[static_cast<std::size_t>(*cause)];
  }
  std::erase_if(slots_, [&slot](const auto& s) { return s.get() == &slot; });
  if (stopping()) {
    check_stop_progress();
    return;
  }
  if (resetting()) check_reset_progress();
  spawn_missing();
}

std::size_t WorkerPool::busy_count() const {
  return static_cast<std::size_t>(std::count_if(slots_.begin(), slots_.end(),
                                                [](const auto& s) { return s->process->busy(); }));
}

void WorkerPool::on_worker_ready(std::function<void()> callback) {
  COYOTE_ASSERT_LOOP_THREAD();
  ready_callback_ = std::move(callback);
}

std::string WorkerPool::startup_failure() const {
  if (ever_ready_ || target_ == 0 || startup_failures_ < kStartupAttempts) return {};
  return last_error_.empty() ? std::string("no worker could be started") : last_error_;
}

std::size_t WorkerPool::ready_count() const {
  COYOTE_ASSERT_LOOP_THREAD();
  if (phase_ != Phase::kRunning) return 0;
  return static_cast<std::size_t>(std::count_if(slots_.begin(), slots_.end(), [](const auto& s) {
    return s->process->ready() && !s->process->busy();
  }));
}

std::vector<WorkerInfo> WorkerPool::workers() const {
  COYOTE_ASSERT_LOOP_THREAD();
  std::vector<WorkerInfo> out;
  out.reserve(slots_.size());
  const std::string command = join_command(worker_options_.argv);
  for (const auto& slot : slots_) {
    const WorkerProcess& w = *slot->process;
    WorkerInfo info;
    info.pid = w.pid();
    info.status = static_cast<int>(w.state());
    info.status_str = std::string(state_name(w.state()));
    info.num_execs = w.execs();
    info.created_ns = w.created_ns();
    info.memory_usage = w.rss_bytes();
    info.command = command;
    info.pool = config_.name;
    if (const WorkerJob* job = w.current_job(); job != nullptr) {
      info.job_context = job->context;
      // last_used() is when the job was sent: mapped onto the wall clock only here.
      const auto running_for = std::chrono::steady_clock::now() - w.last_used();
      info.job_started_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                (std::chrono::system_clock::now() - running_for).time_since_epoch())
                                .count();
    }
    out.push_back(std::move(info));
  }
  return out;
}

PoolStats WorkerPool::stats() const {
  COYOTE_ASSERT_LOOP_THREAD();
  PoolStats out;
  out.name = config_.name;
  out.target = target_;
  out.restarts = restarts_;
  out.workers.reserve(slots_.size());
  for (const auto& slot : slots_) {
    const WorkerProcess& w = *slot->process;
    out.workers.push_back({w.pid(), w.state(), w.busy()});
  }
  return out;
}

// ---- supervisor (spec 2.9) ----------------------------------------------------------------

void WorkerPool::arm_supervisor() {
  if (!has_soft_limits(config_.supervisor) || !running()) return;
  supervisor_timer_.expires_after(config_.supervisor.watch_tick);
  supervisor_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !running()) return;
    supervise();
    arm_supervisor();
  });
}

void WorkerPool::supervise() {
  const auto& limits = config_.supervisor;
  const auto now = std::chrono::steady_clock::now();
  // stop() reports through callbacks only later (never from inside the call), so the slots
  // stay put while this loop runs.
  for (auto& slot : slots_) {
    WorkerProcess& w = *slot->process;
    if (!w.alive() || w.stop_requested() || w.state() == WorkerState::kInactive) continue;
    WorkerVitals vitals;
    vitals.started = w.started();
    vitals.last_used = w.last_used();
    vitals.execs = w.execs();
    vitals.idle = w.ready() && !w.busy();
    if (limits.max_worker_memory_mb > 0) vitals.rss_bytes = w.rss_bytes();
    const auto verdict = worker::supervise(vitals, limits, now);
    if (!verdict) continue;
    log::get("worker")->info("pool '{}': supervisor recycles worker {}: {}", config_.name, w.pid(),
                             verdict->reason);
    if (w.busy()) {
      slot->stop_after_job = verdict->state;
    } else {
      w.stop(verdict->state);
    }
  }
}

// ---- add / remove ---------------------------------------------------------------------------

sdk::Status WorkerPool::add_worker() {
  COYOTE_ASSERT_LOOP_THREAD();
  if (!running()) {
    return sdk::Status::error("the pool is not running");
  }
  if (target_ >= 500) return sdk::Status::error("the pool already has 500 workers, the maximum");
  ++target_;
  spawn_missing();
  return sdk::Status::ok();
}

sdk::Status WorkerPool::remove_worker() {
  COYOTE_ASSERT_LOOP_THREAD();
  if (target_ <= 1) {
    return sdk::Status::error("cannot remove the last worker of pool '" + config_.name + "'");
  }
  --target_;
  // Prefer an idle worker; otherwise the busiest one leaves after its current job.
  for (auto& slot : slots_) {
    if (!slot->process->stop_requested() && !slot->process->busy()) {
      slot->process->stop(WorkerState::kStopping);
      return sdk::Status::ok();
    }
  }
  for (auto& slot : slots_) {
    if (!slot->process->stop_requested() && !slot->stop_after_job) {
      slot->stop_after_job = WorkerState::kStopping;
      return sdk::Status::ok();
    }
  }
  return sdk::Status::ok();
}

sdk::Status WorkerPool::stop_worker(int pid, bool kill) {
  COYOTE_ASSERT_LOOP_THREAD();
  for (auto& slot : slots_) {
    WorkerProcess& w = *slot->process;
    if (w.pid() != pid) continue;
    if (!running()) return sdk::Status::error("the pool is not running");
    log::get("worker")->info("pool '{}': worker {} stopped by request{}", config_.name, pid,
                             kill       ? " (killed)"
                             : w.busy() ? " after its current job"
                                        : "");
    if (w.busy() && !kill) {
      slot->stop_after_job = WorkerState::kStopping;
    } else {
      // On a busy worker stop() kills it at once: its job ends as kWorkerLost, which the
      // pipeline's retry policy redelivers like any crash (not counted as one: it was asked).
      w.stop(WorkerState::kStopping);
    }
    // The target is unchanged: on_dead() spawns its replacement.
    return sdk::Status::ok();
  }
  return sdk::Status::error("pool '" + config_.name + "' has no worker with pid " +
                            std::to_string(pid));
}

// ---- reset (spec 2.11) ----------------------------------------------------------------------

void WorkerPool::reset(ResetDone done) {
  COYOTE_ASSERT_LOOP_THREAD();
  if (!running()) {
    done(sdk::Status::error("the pool is not running"));
    return;
  }
  if (resetting()) {
    done(sdk::Status::error("a reset of pool '" + config_.name + "' is already in progress"));
    return;
  }
  log::get("worker")->info("pool '{}': reset: waiting for {} busy worker(s)", config_.name,
                           busy_count());
  reset_done_ = std::move(done);
  phase_ = Phase::kResetWaiting;
  ++generation_;
  reset_timer_.expires_after(config_.reset_timeout);
  reset_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !resetting()) return;
    if (phase_ == Phase::kResetWaiting) {
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
  phase_ = Phase::kResetReplacing;
  std::vector<WorkerProcess*> old;
  for (auto& slot : slots_) {
    if (slot->generation != generation_) old.push_back(slot->process.get());
  }
  for (auto* w : old) w->stop(WorkerState::kStopping);
  reset_timer_.cancel();
  reset_timer_.expires_after(config_.reset_timeout + config_.allocate_timeout);
  reset_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !resetting()) return;
    finish_reset(sdk::Status::error("pool '" + config_.name +
                                    "' did not get its workers back after reset" +
                                    (last_error_.empty() ? std::string() : ": " + last_error_)));
  });
  check_reset_progress();
}

void WorkerPool::check_reset_progress() {
  if (phase_ == Phase::kResetWaiting) {
    if (busy_count() == 0) reset_replace();
    return;
  }
  if (phase_ != Phase::kResetReplacing) return;
  const bool old_left = std::none_of(
      slots_.begin(), slots_.end(), [this](const auto& s) { return s->generation != generation_; });
  // spawn_missing() holds off while the old workers leave; once they are gone, fill up.
  if (old_left && slots_.size() < target_ && !spawn_armed_) {
    while (slots_.size() < target_ && !backoff_.failing()) spawn_one();
    if (slots_.size() < target_ && backoff_.failing()) schedule_spawn(backoff_.delay());
  }
  const auto ready = static_cast<std::size_t>(std::count_if(
      slots_.begin(), slots_.end(), [](const auto& s) { return s->process->ready(); }));
  if (old_left && ready >= target_) finish_reset(sdk::Status::ok());
}

void WorkerPool::finish_reset(sdk::Status outcome) {
  reset_timer_.cancel();
  if (resetting()) phase_ = Phase::kRunning;  // a stop in progress keeps its own phase
  auto done = std::move(reset_done_);
  reset_done_ = nullptr;
  log::get("worker")->info("pool '{}': reset {}", config_.name,
                           outcome ? std::string("done") : "failed: " + outcome.message());
  spawn_missing();
  done(std::move(outcome));
  std::vector<WorkerProcess*> ready;
  ready.reserve(slots_.size());
  for (auto& slot : slots_) ready.push_back(slot->process.get());
  for (auto* w : ready) offer(*w);
}

// ---- stop (spec 2.12) -----------------------------------------------------------------------

void WorkerPool::stop(std::function<void()> done) {
  COYOTE_ASSERT_LOOP_THREAD();
  if ((phase_ == Phase::kIdle || phase_ == Phase::kStopped) && slots_.empty()) {
    done();
    return;
  }
  const bool was_resetting = resetting();
  if (phase_ != Phase::kStopSent) phase_ = Phase::kStopping;
  stop_done_ = std::move(done);
  spawn_timer_.cancel();
  supervisor_timer_.cancel();
  if (was_resetting) finish_reset(sdk::Status::error("the pool is stopping"));
  while (!reruns_.empty()) {
    auto job = std::move(reruns_.front());
    reruns_.pop_front();
    ExecOutcome lost;
    lost.kind = ExecOutcome::Kind::kWorkerLost;
    lost.message = "the pool stopped before the job could be re-run after a worker restart";
    if (job->done) job->done(lost);
  }
  stop_timer_.expires_after(config_.destroy_timeout);
  stop_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || phase_ != Phase::kStopping) return;
    log::get("worker")->warn("pool '{}': destroy_timeout passed with busy workers; stopping them",
                             config_.name);
    phase_ = Phase::kStopSent;
    std::vector<WorkerProcess*> all;
    all.reserve(slots_.size());
    for (auto& slot : slots_) all.push_back(slot->process.get());
    for (auto* w : all) w->stop(WorkerState::kStopping);
  });
  check_stop_progress();
}

void WorkerPool::check_stop_progress() {
  if (!stopping()) return;
  if (phase_ == Phase::kStopping && busy_count() == 0) {
    phase_ = Phase::kStopSent;
    std::vector<WorkerProcess*> all;
    all.reserve(slots_.size());
    for (auto& slot : slots_) all.push_back(slot->process.get());
    for (auto* w : all) w->stop(WorkerState::kStopping);
  }
  if (slots_.empty()) {
    stop_timer_.cancel();
    phase_ = Phase::kStopped;
    auto done = std::move(stop_done_);
    stop_done_ = nullptr;
    log::get("worker")->info("pool '{}': all workers stopped", config_.name);
    done();
  }
}

}  // namespace coyote::host::worker
