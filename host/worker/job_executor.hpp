// JobExecutor: what the jobs engine needs from a worker pool (implemented in host/worker).
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace coyote::host::worker {

/// How one execution ended, from the pool's point of view.
struct ExecOutcome {
  enum class Kind {
    kResponse,    ///< the worker answered a data frame; `body` is the jobs reply JSON
    kSoftError,   ///< the worker sent an ERROR frame (spec 2.6); `message` holds its text;
                  ///< the worker stays alive
    kStreamed,    ///< the reply carried the STREAM bit (jobs does not support streaming)
    kWorkerLost,  ///< crash, EOF, bad frame, exec_ttl kill: the worker is gone; `message` says why
  };
  Kind kind = Kind::kResponse;
  std::string body;     ///< response body bytes (kResponse)
  std::string message;  ///< error text (other kinds)
  int pid = 0;          ///< the worker that ran it
};

/// Threading: every method is called on, and every callback runs on, the host's event loop
/// thread (one boost::asio::io_context run by one thread). No locking inside.
class JobExecutor {
 public:
  /// The outcome is the executor's: valid during the call only (the pool reuses its buffers, so
  /// the reply is not copied per job).
  using Done = std::function<void(const ExecOutcome&)>;
  virtual ~JobExecutor() = default;

  /// Sends one job to a ready worker and returns true, or returns false (and does nothing) when
  /// no worker is ready. `done` runs exactly once, later, never from inside try_exec.
  /// A worker-requested recycle ({"stop":true} reply) is handled inside the pool: the same job
  /// is re-executed on another worker and `done` sees only the final outcome.
  /// `context` is copied into a buffer the pool reuses (the caller may reuse its own at once);
  /// `body` is not copied and must stay valid until `done` has run (the dispatcher owns the job
  /// that long), so a large payload is never copied on its way out.
  virtual bool try_exec(std::string_view context, std::string_view body, Done done) = 0;

  /// `callback` runs whenever a worker becomes ready (spawned, or finished a job), so the
  /// dispatcher can hand it the next job without polling.
  virtual void on_worker_ready(std::function<void()> callback) = 0;

  [[nodiscard]] virtual std::size_t ready_count() const = 0;
};

}  // namespace coyote::host::worker
