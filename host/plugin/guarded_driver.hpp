// GuardedDriver and guarded construction: the exception barrier around every driver call.
#pragma once

#include "plugin/driver_registry.hpp"

#include <coyote/sdk/driver.hpp>

#include <coyote/sdk/result.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::plugin {

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

/// Builds a driver for a pipeline declared at runtime (jobs.Declare). Never throws: a failure is
/// the error (a ConfigError's text as is, anything else prefixed with the driver's context).
sdk::Result<std::unique_ptr<GuardedDriver>> construct_from_pipeline(const DriverEntry& entry,
                                                                    const sdk::Pipeline& pipeline,
                                                                    sdk::Queue& queue) noexcept;

}  // namespace coyote::host::plugin
