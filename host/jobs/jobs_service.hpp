// JobsService: the jobs operations the RPC server exposes (implemented by the engine).
#pragma once

#include <coyote/sdk/message.hpp>
#include <coyote/sdk/result.hpp>
#include <coyote/sdk/state.hpp>
#include <coyote/sdk/status.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace coyote::host::jobs {

/// Error texts follow RoadRunner's (spec 4.4) where clients match on them, e.g.
/// "no such pipeline, requested: X", "empty ID field not allowed",
/// "pipeline already exists, name: X, driver: Y".
///
/// Threading: call on the event loop thread. Completion callbacks run on that thread too; they
/// may run before the call returns (the memory driver accepts synchronously) or later (a broker
/// driver that waits for a publish confirm).
class JobsService {
 public:
  using Done = std::function<void(sdk::Status)>;
  virtual ~JobsService() = default;

  /// Answers only after the pipeline's driver accepted the job (RoadRunner #739).
  virtual void push(sdk::Message message, Done done) = 0;
  /// Pushes in order and stops at the first error; jobs before it stay pushed.
  virtual void push_batch(std::vector<sdk::Message> messages, Done done) = 0;
  virtual sdk::Status pause(const std::vector<std::string>& pipelines) = 0;
  virtual sdk::Status resume(const std::vector<std::string>& pipelines) = 0;
  [[nodiscard]] virtual std::vector<std::string> list() const = 0;
  /// A flat option map as in jobs.Declare (spec 5.5): driver, name (or queue), priority, ...
  virtual sdk::Status declare(const std::map<std::string, std::string>& options) = 0;
  /// Stops and removes pipelines; the names removed, or the first error (the others named are
  /// still removed).
  virtual sdk::Result<std::vector<std::string>> destroy(
      const std::vector<std::string>& pipelines) = 0;
  /// One State per pipeline (a driver that cannot report puts the reason in its State's error).
  [[nodiscard]] virtual sdk::Result<std::vector<sdk::State>> stat() = 0;
};

}  // namespace coyote::host::jobs
