// MemoryPlugin: the real memory driver plugin (.so) loaded the way `coyote serve` loads it.
#pragma once

#include "plugin/driver_registry.hpp"
#include "plugin/plugin_loader.hpp"

#include <coyote/sdk/config.hpp>

#include <stdexcept>

namespace coyote::test {

/// Loads COYOTE_MEMORY_PLUGIN_PATH (set by CMake) through the production PluginLoader into a
/// registry, which as the engine's DriverCatalog builds guarded drivers, as in `serve`. `config`
/// must outlive the object (the plugin's constructor keeps it). The library stays loaded.
class MemoryPlugin {
 public:
  explicit MemoryPlugin(const sdk::Config& config) {
    host::plugin::PluginLoader loader(registry_, config);
    auto loaded =
        loader.load(host::plugin::PluginCandidate{COYOTE_MEMORY_PLUGIN_PATH, true, "test"});
    if (!loaded) throw std::runtime_error(loaded.error());
  }

  [[nodiscard]] host::plugin::DriverRegistry& drivers() noexcept { return registry_; }

 private:
  host::plugin::DriverRegistry registry_;
};

}  // namespace coyote::test
