// WorkerPool: a fixed set of worker processes that runs jobs one per worker (spec 2).
#pragma once

#include "worker/job_executor.hpp"
#include "worker/pool_config.hpp"
#include "worker/pool_control.hpp"
#include "worker/pool_stats.hpp"
#include "worker/respawn_backoff.hpp"
#include "worker/worker_process.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace coyote::host::worker {

/// Spawns `config.num_workers` workers, keeps that many alive (respawn with back-off when they
/// keep failing to start), applies max_jobs and the supervisor, and re-runs a job whose worker
/// asked to be recycled. Loop-thread only. Call stop() and let it finish before destroying the
/// pool; the destructor only kills and reaps what is left.
///
/// One Phase says what the pool is doing; every decision that used to read a combination of
/// flags reads it instead:
///
///   kIdle ──start──► kRunning ──reset──► kResetWaiting ──no busy worker──► kResetReplacing
///                       ▲  └──────────────────────────────────────────────────────┘ │
///                       └──────────── every new worker ready (or timeout) ◄──────────┘
///   any ──stop──► kStopping ──no busy worker (or destroy_timeout)──► kStopSent ──► kStopped
class WorkerPool final : public JobExecutor, public PoolControl {
 public:
  WorkerPool(boost::asio::io_context& io, PoolConfig config, ServerConfig server,
             const std::vector<std::string>& host_env = host_environment());
  ~WorkerPool() override;
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  WorkerPool(WorkerPool&&) = delete;
  WorkerPool& operator=(WorkerPool&&) = delete;

  /// Spawns the workers (asynchronously: they become ready after their handshake).
  void start();
  /// Holds new jobs, waits up to destroy_timeout for running ones, stops every worker, and calls
  /// `done` when all processes are gone. Jobs waiting for a re-run get kWorkerLost.
  void stop(std::function<void()> done);

  // JobExecutor
  bool try_exec(std::string_view context, std::string_view body, Done done) override;
  void on_worker_ready(std::function<void()> callback) override;
  [[nodiscard]] std::size_t ready_count() const override;

  // PoolControl
  [[nodiscard]] std::vector<WorkerInfo> workers() const override;
  void reset(ResetDone done) override;
  sdk::Status add_worker() override;
  sdk::Status remove_worker() override;
  /// Stops the worker with this pid and lets the pool replace it (the target stays): after its
  /// current job, or at once with `kill` (SIGKILL; the job it ran is a lost attempt, retried
  /// as any crash is). An error when no worker of this pool has the pid.
  sdk::Status stop_worker(int pid, bool kill);

  [[nodiscard]] const PoolConfig& config() const noexcept { return config_; }
  /// Processes currently alive (including ones still in the handshake or stopping).
  [[nodiscard]] std::size_t live_count() const noexcept { return slots_.size(); }
  /// Workers and restart counts, copied without any system call (loop thread).
  [[nodiscard]] PoolStats stats() const;
  /// The most recent reason a worker died or failed to start ("" when none).
  [[nodiscard]] const std::string& last_error() const noexcept { return last_error_; }
  /// Why the pool cannot start, once kStartupAttempts workers in a row failed to start or to
  /// finish their handshake and none ever became ready; empty otherwise (also once one was
  /// ready: later failures are retried with back-off for ever). `serve` exits on it, as
  /// RoadRunner refuses to start.
  [[nodiscard]] std::string startup_failure() const;
  static constexpr std::size_t kStartupAttempts = 3;

 private:
  enum class Phase {
    kIdle,            ///< not started
    kRunning,         ///< taking jobs
    kResetWaiting,    ///< reset: no new jobs, waiting for busy workers to finish
    kResetReplacing,  ///< reset: old workers stopping, new ones spawning
    kStopping,        ///< stop: no new jobs, waiting for busy workers (up to destroy_timeout)
    kStopSent,        ///< stop: every worker has been told to stop
    kStopped,         ///< every worker is gone
  };

  /// The pool's bookkeeping for one worker process.
  struct Slot {
    std::shared_ptr<WorkerProcess> process;
    std::uint64_t max_execs = 0;   ///< 0 = unlimited (max_jobs with jitter)
    std::uint64_t generation = 0;  ///< the reset it was spawned in: older ones are leaving
    /// Stop once the current job is done, showing this state (supervisor, remove_worker, a
    /// streamed reply).
    std::optional<WorkerState> stop_after_job;
  };

  [[nodiscard]] bool resetting() const noexcept {
    return phase_ == Phase::kResetWaiting || phase_ == Phase::kResetReplacing;
  }
  /// Started and not stopping: workers are kept, added and recycled.
  [[nodiscard]] bool running() const noexcept { return phase_ == Phase::kRunning || resetting(); }
  /// spawn_missing() may spawn: not while a reset's old workers are still leaving.
  [[nodiscard]] bool spawning() const noexcept {
    return phase_ == Phase::kRunning || phase_ == Phase::kResetWaiting;
  }
  [[nodiscard]] bool stopping() const noexcept {
    return phase_ == Phase::kStopping || phase_ == Phase::kStopSent;
  }
  /// Spawns up to the target, or arms the back-off timer while spawns keep failing.
  void spawn_missing();
  void spawn_one();
  void schedule_spawn(std::chrono::milliseconds delay);
  void on_ready(Slot& slot);
  void on_dead(Slot& slot, const std::string& reason);
  void on_exec_done(Slot& slot, std::shared_ptr<WorkerJob> job, const ExecOutcome& outcome,
                    bool restart);
  /// A WorkerJob from the spares (its context buffer keeps its capacity), or a new one.
  std::shared_ptr<WorkerJob> acquire_job();
  /// Keeps `job` for reuse when nothing else holds it (no write or timer handler in flight).
  void recycle(std::shared_ptr<WorkerJob> job);
  void run_on(WorkerProcess& w, std::shared_ptr<WorkerJob> job) const;
  /// Hands a ready worker to a pending re-run or announces it to the dispatcher.
  void offer(WorkerProcess& w);
  [[nodiscard]] std::size_t busy_count() const;
  void supervise();
  void arm_supervisor();
  void check_stop_progress();
  void check_reset_progress();
  void reset_replace();
  void finish_reset(sdk::Status outcome);
  std::uint64_t jittered_max_jobs();

  boost::asio::io_context& io_;
  PoolConfig config_;
  ServerConfig server_;
  WorkerOptions worker_options_;
  // unique_ptr: a Slot's address is captured by its process's callbacks.
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<std::shared_ptr<WorkerJob>> spare_jobs_;  ///< one allocation per worker, not per job
  std::deque<std::shared_ptr<WorkerJob>> reruns_;
  std::function<void()> ready_callback_;
  std::size_t target_ = 0;
  Phase phase_ = Phase::kIdle;
  std::string last_error_;
  std::array<std::uint64_t, kRestartCauses> restarts_{};
  bool ever_ready_ = false;
  std::size_t startup_failures_ = 0;  ///< failed starts before any worker was ready

  RespawnBackoff backoff_;
  bool spawn_armed_ = false;
  boost::asio::steady_timer spawn_timer_;
  boost::asio::steady_timer supervisor_timer_;

  std::function<void()> stop_done_;
  boost::asio::steady_timer stop_timer_;

  ResetDone reset_done_;
  boost::asio::steady_timer reset_timer_;
  std::uint64_t generation_ = 0;

  std::mt19937 rng_{std::random_device{}()};
};

}  // namespace coyote::host::worker
