// WorkerProcess: one worker child speaking goridge frames over its stdin/stdout pipes.
#pragma once

#include "goridge/frame_buffer.hpp"
#include "worker/job_executor.hpp"
#include "worker/process_spawn.hpp"
#include "worker/worker_state.hpp"

#include <coyote/sdk/status.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::worker {

struct WorkerOptions {
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::uint32_t max_frame_size = 64u * 1024 * 1024;
  std::chrono::milliseconds allocate_timeout{60000};
  std::chrono::milliseconds stop_timeout{10000};
  Credentials credentials;  ///< who the worker runs as (server.user / server.group)
};

/// One job handed to a worker; the frame is written from here with scatter/gather (header,
/// context, body). The context is owned so a worker-requested restart can resend it; the body is
/// the caller's bytes, which JobExecutor::try_exec requires to outlive `done`.
struct WorkerJob {
  std::string context;
  std::string_view body;
  JobExecutor::Done done;
  /// Times a worker asked to be restarted on this delivery (the job is re-run once, then the
  /// request counts as a failed attempt).
  std::uint32_t restarts = 0;
  std::array<std::uint8_t, goridge::kMaxHeaderSize> header{};
  std::uint8_t* header_bytes() noexcept { return header.data(); }
};

/// Lifecycle: start() → handshake → ready ⇄ working → stop()/kill() → exited. Every callback runs
/// on the loop thread. The object keeps itself alive (shared_from_this) while I/O is pending.
class WorkerProcess : public std::enable_shared_from_this<WorkerProcess> {
 public:
  struct Callbacks {
    std::function<void(WorkerProcess&)> ready;                            ///< handshake succeeded
    std::function<void(WorkerProcess&, const std::string& reason)> dead;  ///< process gone
    /// A job ended (reply, soft error, or the worker died with it); `restart` = the worker asked
    /// to be recycled. Set once here rather than per exec: no closure to allocate per job.
    std::function<void(WorkerProcess&, std::shared_ptr<WorkerJob>, const ExecOutcome&,
                       bool restart)>
        finished;
  };

  WorkerProcess(boost::asio::io_context& io, WorkerOptions options, Callbacks callbacks);
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  /// Spawns and sends the pid request; an error when the process did not start.
  sdk::Status start();

  /// Sends one job; the worker must be ready. Callbacks::finished runs exactly once for it: on
  /// the reply, or with kWorkerLost when the worker dies first. `exec_ttl` 0 = no limit.
  void exec(std::shared_ptr<WorkerJob> job, std::chrono::milliseconds exec_ttl);

  /// Graceful stop: the {"stop":true} control frame, then SIGKILL after stop_timeout.
  /// `state` is what informer shows meanwhile (maxJobsReached, ttlReached, ...).
  void stop(WorkerState state = WorkerState::kStopping);
  /// SIGKILL to the worker's process group; `reason` becomes the death reason.
  void kill(const std::string& reason, WorkerState state = WorkerState::kErrored);
  /// Forgets the callbacks (the pool is going away); the process is killed and reaped here.
  void detach();

  [[nodiscard]] int pid() const noexcept { return pid_; }
  [[nodiscard]] WorkerState state() const noexcept { return state_; }
  void set_state(WorkerState s) noexcept { state_ = s; }
  [[nodiscard]] bool ready() const noexcept { return state_ == WorkerState::kReady; }
  [[nodiscard]] bool busy() const noexcept { return job_ != nullptr; }
  /// The job it runs (nullptr when idle), for the dashboard: its context holds id, job name and
  /// pipeline, and last_used() is when it was sent, so nothing more is recorded per job.
  [[nodiscard]] const WorkerJob* current_job() const noexcept { return job_.get(); }
  [[nodiscard]] bool alive() const noexcept { return !dead_; }
  [[nodiscard]] std::uint64_t execs() const noexcept { return execs_; }
  /// SIGKILLed by someone other than this host (an operator, the OOM killer): says nothing about
  /// whether the worker can start, so it must not feed the respawn back-off.
  [[nodiscard]] bool killed_externally() const noexcept;
  [[nodiscard]] std::int64_t created_ns() const noexcept { return created_ns_; }
  [[nodiscard]] std::chrono::steady_clock::time_point started() const noexcept { return started_; }
  [[nodiscard]] std::chrono::steady_clock::time_point last_used() const noexcept {
    return last_used_;
  }
  [[nodiscard]] std::chrono::steady_clock::time_point ready_since() const noexcept {
    return ready_since_;
  }
  [[nodiscard]] const std::vector<std::string>& argv() const noexcept { return options_.argv; }
  /// RSS in bytes from /proc/<pid>/statm (0 when unreadable).
  [[nodiscard]] std::uint64_t rss_bytes() const;
  /// The last lines the worker wrote to stderr (for error messages).
  [[nodiscard]] std::string stderr_tail() const;

  /// True once the host asked it to go (stop or supervisor), so its exit is not a crash.
  [[nodiscard]] bool stop_requested() const noexcept { return stop_requested_; }

 private:
  void read_stdout();
  void on_stdout_closed();
  void read_stderr();
  void wait_exit();
  void on_frame(const goridge::FrameBuffer::Frame& frame);
  void on_handshake_frame(const goridge::FrameBuffer::Frame& frame);
  void on_reply_frame(const goridge::FrameBuffer::Frame& frame);
  void finish_job(ExecOutcome& outcome, bool restart);
  void protocol_error(const std::string& reason);
  void on_exited(int status);
  void maybe_finalize();
  void finalize();
  void write_control(std::string frame);
  void on_write_done(const boost::system::error_code& ec);
  void log_stderr_line(std::string_view line);

  WorkerOptions options_;
  Callbacks callbacks_;
  int pid_ = 0;
  WorkerState state_ = WorkerState::kInactive;
  boost::asio::posix::stream_descriptor stdin_;
  boost::asio::posix::stream_descriptor stdout_;
  boost::asio::posix::stream_descriptor stderr_;
  boost::asio::posix::stream_descriptor pidfd_;
  boost::asio::steady_timer handshake_timer_;
  boost::asio::steady_timer exec_timer_;
  boost::asio::steady_timer kill_timer_;
  boost::asio::steady_timer reap_timer_;  ///< fallback polling without pidfd; drain grace
  goridge::FrameBuffer frames_;
  std::array<char, 8192> stderr_buf_{};
  std::string stderr_partial_;
  std::vector<std::string> stderr_lines_;  ///< tail, a few lines
  std::string control_out_;
  std::shared_ptr<WorkerJob> job_;
  ExecOutcome reply_;  ///< reused for every reply: its body keeps its capacity
  std::string death_reason_;
  bool exited_ = false;
  bool stdout_closed_ = false;
  bool stderr_closed_ = false;
  bool dead_ = false;
  bool writing_ = false;
  bool stop_requested_ = false;
  std::string pending_control_;  ///< a control frame waiting for the job write to finish
  int exit_status_ = 0;
  std::uint64_t execs_ = 0;
  std::int64_t created_ns_ = 0;
  std::chrono::steady_clock::time_point started_{};
  std::chrono::steady_clock::time_point last_used_{};
  std::chrono::steady_clock::time_point ready_since_{};
};

}  // namespace coyote::host::worker
