// Registrar: what a plugin's registration function receives from the host.
#pragma once

#include <coyote/sdk/config.hpp>
#include <coyote/sdk/driver.hpp>
#include <coyote/sdk/logger.hpp>

#include <memory>

namespace coyote::sdk {

/// Owned by the host, valid only during the registration call; Config and Logger references stay
/// valid for the life of the process, so constructors may keep them.
class Registrar {
 public:
  virtual ~Registrar() = default;

  /// Registers a constructor. A name already registered (by this or another plugin) makes the
  /// host refuse the plugin with an error naming both files.
  virtual void add_driver(std::unique_ptr<DriverConstructor> constructor) = 0;

  /// The whole configuration (read-only).
  [[nodiscard]] virtual const Config& config() const = 0;

  /// This plugin's named logger.
  [[nodiscard]] virtual Logger& logger() = 0;
};

}  // namespace coyote::sdk
