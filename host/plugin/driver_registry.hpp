// DriverRegistry: driver name -> the constructor a loaded plugin registered for it.
#pragma once

#include "plugin/driver_catalog.hpp"

#include <coyote/sdk/driver.hpp>
#include <coyote/sdk/status.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::plugin {

/// Where a driver came from, for error messages and `coyote drivers`.
struct PluginInfo {
  std::filesystem::path file;
  std::string plugin_name;
  std::string sdk_version;
};

struct DriverEntry {
  std::string name;
  /// Owned by the registry. Its code lives in `plugin.file`, which is never unloaded; call it
  /// through construct_from_config / construct_from_pipeline (guarded_driver.hpp).
  sdk::DriverConstructor* constructor = nullptr;
  PluginInfo plugin;
};

/// A constructor collected from a plugin's registration, not yet in the registry.
struct RegisteredDriver {
  std::string name;
  std::unique_ptr<sdk::DriverConstructor> constructor;
};

/// Filled once at startup by the PluginLoader, then read-only (safe to read from any thread).
/// As the engine's DriverCatalog it hands out GuardedDrivers only.
class DriverRegistry final : public DriverCatalog {
 public:
  DriverRegistry() = default;

  [[nodiscard]] const DriverEntry* find(std::string_view name) const;
  /// Sorted.
  [[nodiscard]] std::vector<std::string> names() const override;
  [[nodiscard]] bool has(std::string_view driver) const override { return find(driver) != nullptr; }
  std::unique_ptr<sdk::Driver> from_config(std::string_view config_key, sdk::Queue& queue,
                                           const sdk::Pipeline& pipeline) override;
  sdk::Result<std::unique_ptr<sdk::Driver>> from_pipeline(const sdk::Pipeline& pipeline,
                                                          sdk::Queue& queue) noexcept override;
  /// Sorted by driver name; pointers stay valid for the registry's lifetime.
  [[nodiscard]] std::vector<const DriverEntry*> entries() const;
  [[nodiscard]] std::size_t size() const noexcept { return drivers_.size(); }
  [[nodiscard]] bool empty() const noexcept { return drivers_.empty(); }

  /// Adds all of one plugin's drivers, or none: when a name is already taken (or repeated within
  /// `drivers`) returns an error naming both plugin files and leaves the registry unchanged
  /// (`drivers` is left untouched too, so the caller decides when to destroy them).
  [[nodiscard]] sdk::Status add_plugin(const PluginInfo& plugin,
                                       std::vector<RegisteredDriver>& drivers);

 private:
  struct Slot {
    DriverEntry entry;
    std::unique_ptr<sdk::DriverConstructor> owned;
  };
  std::map<std::string, Slot, std::less<>> drivers_;
};

}  // namespace coyote::host::plugin
