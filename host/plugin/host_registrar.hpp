// HostRegistrar: the sdk::Registrar a plugin's registration function fills during one load.
#pragma once

#include "plugin/driver_registry.hpp"

#include <coyote/sdk/registrar.hpp>

#include <string>
#include <vector>

namespace coyote::host::plugin {

/// Collects constructors without touching the DriverRegistry, so a plugin whose registration
/// fails (or collides) leaves nothing behind. Problems the host detects itself (a null
/// constructor, a name() that throws) are recorded rather than thrown into plugin frames.
class HostRegistrar final : public sdk::Registrar {
 public:
  HostRegistrar(const sdk::Config& config, sdk::Logger& logger)
      : config_(config), logger_(logger) {}

  void add_driver(std::unique_ptr<sdk::DriverConstructor> constructor) override;
  [[nodiscard]] const sdk::Config& config() const override { return config_; }
  [[nodiscard]] sdk::Logger& logger() override { return logger_; }

  [[nodiscard]] std::vector<RegisteredDriver>& drivers() noexcept { return drivers_; }
  /// Empty when every add_driver call was well-formed.
  [[nodiscard]] const std::string& problem() const noexcept { return problem_; }

 private:
  const sdk::Config& config_;
  sdk::Logger& logger_;
  std::vector<RegisteredDriver> drivers_;
  std::string problem_;
};

}  // namespace coyote::host::plugin
