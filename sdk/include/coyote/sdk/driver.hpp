// Driver and DriverConstructor: what a queue driver plugin implements.
#pragma once

#include <coyote/sdk/completion.hpp>
#include <coyote/sdk/message.hpp>
#include <coyote/sdk/pipeline.hpp>
#include <coyote/sdk/queue.hpp>
#include <coyote/sdk/state.hpp>
#include <coyote/sdk/status.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::sdk {

/// One driver instance serves one pipeline.
///
/// Threading contract: the host calls every Driver, DriverConstructor and Job method on its one
/// event-loop thread, never two at once, and destroys drivers and jobs there too. None of them
/// may block that thread for long: everything else the host does (every RPC client, every
/// worker pipe) waits meanwhile. A driver with slow work (a broker round trip, an fsync) hands it
/// to a thread of its own and reports back through a Completion or the Queue, both of which may
/// be called from any thread. A driver's own threads must not call back into the host otherwise.
/// A method that throws is reported as that plugin's error; prefer returning Status.
class Driver {
 public:
  virtual ~Driver() = default;

  /// Accept one job from a producer. Call `done` ok only once the job is safely held (buffered in
  /// memory, committed to disk, confirmed by the broker): the RPC reply to the producer waits for
  /// it. `done` may be called before push returns, or later from any thread; a driver that may
  /// wait bounds the wait itself (jobs.timeout, readable through Config).
  virtual void push(Message message, Completion done) = 0;

  /// Accept jobs for this pipeline, in order, and call `done` once for all of them: ok when every
  /// job is held; otherwise the error of the first job (in batch order) that is not, after every
  /// job's outcome is known. Jobs other than the failed ones may be held. Override it to commit a
  /// batch in one transaction or pipeline the broker round trips; the default submits each job
  /// through push() at once and gathers their completions.
  virtual void push_batch(std::vector<Message> messages, Completion done);
  /// Start consuming: move jobs into the Queue. Called at startup for pipelines in jobs.consume.
  virtual Status run() = 0;
  /// Stop consuming and release resources. The host has already removed this pipeline's queued
  /// jobs from the Queue when it calls stop(); the driver decides their fate (broker: leave them
  /// un-acked; memory: they are gone).
  virtual Status stop() = 0;
  /// Stop moving jobs into the Queue; keep accepting pushes.
  virtual Status pause() = 0;
  /// Start (or restart) moving jobs into the Queue.
  virtual Status resume() = 0;
  /// The pipeline's counts for jobs.Stat. Called often (status pages, metrics scrapes): report
  /// what the driver already knows, never a blocking round trip.
  [[nodiscard]] virtual State state() = 0;
};

inline void Driver::push_batch(std::vector<Message> messages, Completion done) {
  if (messages.empty()) {
    done(Status::ok());
    return;
  }
  // Shared by the completions, which may arrive on any thread and in any order.
  struct Gather {
    std::atomic<std::size_t> pending;
    std::mutex mutex;
    std::size_t first_failed = 0;
    Status first_error;
    Completion done;
  };
  auto gather = std::make_shared<Gather>();
  gather->pending.store(messages.size());
  gather->first_failed = messages.size();
  gather->done = std::move(done);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    push(std::move(messages[i]), [gather, i](Status status) {
      if (!status) {
        std::lock_guard lock(gather->mutex);
        if (i < gather->first_failed) {
          gather->first_failed = i;
          gather->first_error = std::move(status);
        }
      }
      if (gather->pending.fetch_sub(1) != 1) return;
      // The last completion: every other one has returned its writes through the atomic.
      Status outcome;
      {
        std::lock_guard lock(gather->mutex);
        outcome = std::move(gather->first_error);
      }
      gather->done(std::move(outcome));
    });
  }
}

/// Builds Driver instances for one driver name ("memory", "amqp", ...). Called on the host's loop
/// thread, like Driver (and at startup, before the loop runs).
class DriverConstructor {
 public:
  virtual ~DriverConstructor() = default;

  /// The name pipelines use in `driver:`; unique across all loaded plugins.
  [[nodiscard]] virtual std::string_view name() const = 0;

  /// A pipeline from .rr.yaml. `config_key` is the dotted path of its options
  /// ("jobs.pipelines.<name>.config"), readable through the Config given at registration.
  /// Throw ConfigError (or return nullptr after logging) when the options are wrong.
  virtual std::unique_ptr<Driver> from_config(std::string_view config_key, Queue& queue,
                                              const Pipeline& pipeline) = 0;

  /// A pipeline declared at runtime (jobs.Declare): all options are in `pipeline`.
  virtual std::unique_ptr<Driver> from_pipeline(const Pipeline& pipeline, Queue& queue) = 0;
};

}  // namespace coyote::sdk
