// WorkerPool: a fixed set of worker processes that runs jobs one per worker (spec 2).
#pragma once

#include "worker/executor.hpp"
#include "worker/pool_config.hpp"
#include "worker/pool_control.hpp"
#include "worker/worker_process.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace coyote::host::worker {

/// Spawns `config.num_workers` workers, keeps that many alive (respawn with exponential back-off
/// when they keep failing), applies max_jobs and the supervisor, and re-runs a job whose worker
/// asked to be recycled. Loop-thread only. Call stop() and let it finish before destroying the
/// pool; the destructor only kills and reaps what is left.
class WorkerPool final : public JobExecutor, public PoolControl {
 public:
  WorkerPool(boost::asio::io_context& io, PoolConfig config, ServerConfig server,
             std::vector<std::string> host_env = host_environment());
  ~WorkerPool() override;
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Spawns the workers (asynchronously: they become ready after their handshake).
  void start();
  /// Holds new jobs, waits up to destroy_timeout for running ones, stops every worker, and calls
  /// `done` when all processes are gone. Jobs waiting for a re-run get kWorkerLost.
  void stop(std::function<void()> done);

  // JobExecutor
  bool try_exec(std::string context, std::string_view body, Done done) override;
  void on_worker_ready(std::function<void()> callback) override;
  [[nodiscard]] std::size_t ready_count() const override;

  // PoolControl
  [[nodiscard]] std::vector<WorkerInfo> workers() const override;
  void reset(ResetDone done) override;
  sdk::Status add_worker() override;
  sdk::Status remove_worker() override;

  [[nodiscard]] const PoolConfig& config() const noexcept { return config_; }
  /// Processes currently alive (including ones still in the handshake or stopping).
  [[nodiscard]] std::size_t live_count() const noexcept { return workers_.size(); }
  /// The most recent reason a worker died or failed to start ("" when none).
  [[nodiscard]] const std::string& last_error() const noexcept { return last_error_; }

 private:
  using WorkerPtr = std::shared_ptr<WorkerProcess>;

  void spawn_missing();
  void spawn_one();
  void schedule_spawn(std::chrono::milliseconds delay);
  void on_ready(WorkerProcess& w);
  void on_dead(WorkerProcess& w, const std::string& reason);
  void on_exec_done(WorkerProcess& w, std::shared_ptr<WorkerJob> job, ExecOutcome outcome,
                    bool restart);
  void run_on(WorkerProcess& w, std::shared_ptr<WorkerJob> job);
  /// Hands a ready worker to a pending re-run or announces it to the dispatcher.
  void offer(WorkerProcess& w);
  [[nodiscard]] bool accepting() const noexcept { return running_ && !holding_; }
  [[nodiscard]] std::size_t busy_count() const;
  void supervise();
  void arm_supervisor();
  void check_stop_progress();
  void check_reset_progress();
  void reset_replace();
  void finish_reset(sdk::Status outcome);
  std::uint64_t jittered_max_jobs();
  WorkerPtr find(const WorkerProcess& w) const;

  boost::asio::io_context& io_;
  PoolConfig config_;
  ServerConfig server_;
  WorkerOptions worker_options_;
  std::vector<WorkerPtr> workers_;
  std::deque<std::shared_ptr<WorkerJob>> reruns_;
  std::function<void()> ready_callback_;
  std::size_t target_ = 0;
  bool running_ = false;
  bool holding_ = false;  ///< reset or stop in progress: no new jobs
  std::string last_error_;

  unsigned failures_ = 0;  ///< consecutive early deaths, drives the back-off
  bool spawn_armed_ = false;
  boost::asio::steady_timer spawn_timer_;
  boost::asio::steady_timer supervisor_timer_;

  std::function<void()> stop_done_;
  boost::asio::steady_timer stop_timer_;
  bool stop_sent_ = false;

  ResetDone reset_done_;
  boost::asio::steady_timer reset_timer_;
  std::uint64_t generation_ = 0;
  bool reset_replacing_ = false;

  std::mt19937 rng_{std::random_device{}()};
};

}  // namespace coyote::host::worker
