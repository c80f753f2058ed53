// GuardedDriver and guarded construction: the host-side exception barrier around driver code.
#pragma once

#include "plugin/driver_registry.hpp"

#include <coyote/sdk/driver.hpp>

#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::plugin {

/// Runs `call` (returning sdk::Status) and turns any exception into a Status error
/// "<context>: <what> threw: <message>". For plugin code the host calls on the hot path that is
/// not a Driver method (Job::ack/nack/requeue, destructors are noexcept already).
template <typename Call>
sdk::Status call_guarded(std::string_view context, std::string_view what, Call&& call) noexcept {
  try {
    return call();
  } catch (const std::exception& e) {
    try {
      return sdk::Status::error(std::string(context) + ": " + std::string(what) +
                                " threw: " + e.what());
    } catch (...) {
      return sdk::Status::error("plugin exception (out of memory while reporting it)");
    }
  } catch (...) {
    try {
      return sdk::Status::error(std::string(context) + ": " + std::string(what) +
                                " threw a non-standard exception");
    } catch (...) {
      return sdk::Status::error("plugin exception (out of memory while reporting it)");
    }
  }
}

/// A Driver that forwards to the plugin's driver and never lets an exception out: push/run/stop/
/// pause/resume return a Status error "driver NAME (file F, pipeline P): push threw: ...", state()
/// returns a State whose `error` says so. Same threading contract as the driver it wraps.
class GuardedDriver final : public sdk::Driver {
 public:
  GuardedDriver(std::unique_ptr<sdk::Driver> inner, const DriverEntry& entry, std::string pipeline);

  /// A throw from the plugin completes `done` with the error (unless the plugin already did).
  void push(sdk::Message message, sdk::Completion done) override;
  void push_batch(std::vector<sdk::Message> messages, sdk::Completion done) override;
  sdk::Status run() override;
  sdk::Status stop() override;
  sdk::Status pause() override;
  sdk::Status resume() override;
  [[nodiscard]] sdk::State state() override;

  /// "driver NAME (file F, pipeline P)", the prefix of every error from this driver.
  [[nodiscard]] const std::string& context() const noexcept { return context_; }
  [[nodiscard]] const std::string& driver_name() const noexcept { return driver_name_; }
  [[nodiscard]] const std::string& pipeline() const noexcept { return pipeline_; }

 private:
  std::unique_ptr<sdk::Driver> inner_;
  std::string driver_name_;
  std::string pipeline_;
  std::string context_;
};

/// Builds a driver for a pipeline from .rr.yaml (startup). A sdk::ConfigError from the plugin
/// propagates unchanged (it is a config problem the user fixes in YAML); any other exception, or
/// a null driver, throws PluginError naming the driver, plugin and file.
std::unique_ptr<GuardedDriver> construct_from_config(const DriverEntry& entry,
                                                     std::string_view config_key, sdk::Queue& queue,
                                                     const sdk::Pipeline& pipeline);

/// Builds a driver for a pipeline declared at runtime (jobs.Declare). Never throws: on failure
/// returns a Status error (a ConfigError's text as is, anything else prefixed with the driver's
/// context) and leaves `out` empty.
sdk::Status construct_from_pipeline(const DriverEntry& entry, const sdk::Pipeline& pipeline,
                                    sdk::Queue& queue,
                                    std::unique_ptr<GuardedDriver>& out) noexcept;

}  // namespace coyote::host::plugin
