// Driver and DriverConstructor: what a queue driver plugin implements.
#pragma once

#include <coyote/sdk/message.hpp>
#include <coyote/sdk/pipeline.hpp>
#include <coyote/sdk/queue.hpp>
#include <coyote/sdk/state.hpp>
#include <coyote/sdk/status.hpp>

#include <memory>
#include <string_view>

namespace coyote::sdk {

/// One driver instance serves one pipeline. The host calls these methods from its own threads,
/// possibly concurrently (a push on an RPC thread while a pause runs on another): make them
/// thread-safe. A method that throws is reported as that plugin's error; prefer returning Status.
class Driver {
 public:
  virtual ~Driver() = default;

  /// Accept one job from a producer. Return ok only once the job is safely held by the driver
  /// (buffered in memory, written to the broker): the RPC reply to the producer waits for this.
  virtual Status push(Message message) = 0;
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
  [[nodiscard]] virtual State state() = 0;
};

/// Builds Driver instances for one driver name ("memory", "amqp", ...).
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
