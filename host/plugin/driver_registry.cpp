#include "plugin/driver_registry.hpp"

#include "plugin/guarded_driver.hpp"
#include "plugin/plugin_error.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace coyote::host::plugin {
namespace {

std::string describe(const PluginInfo& plugin) {
  return plugin.file.string() + " (" + plugin.plugin_name + ")";
}

}  // namespace

const DriverEntry* DriverRegistry::find(std::string_view name) const {
  auto it = drivers_.find(name);
  return it == drivers_.end() ? nullptr : &it->second.entry;
}

std::vector<std::string> DriverRegistry::names() const {
  std::vector<std::string> out;
  out.reserve(drivers_.size());
  for (const auto& [name, slot] : drivers_) out.push_back(name);
  return out;
}

std::vector<const DriverEntry*> DriverRegistry::entries() const {
  std::vector<const DriverEntry*> out;
  out.reserve(drivers_.size());
  for (const auto& [name, slot] : drivers_) out.push_back(&slot.entry);
  return out;
}

sdk::Status DriverRegistry::add_plugin(const PluginInfo& plugin,
                                       std::vector<RegisteredDriver>& drivers) {
  std::set<std::string_view> seen;
  for (const auto& driver : drivers) {
    if (!seen.insert(driver.name).second) {
      return sdk::Status::error("plugin " + describe(plugin) + " registers driver \"" +
                                driver.name + "\" twice: each driver name must be registered once");
    }
    if (const auto* existing = find(driver.name)) {
      return sdk::Status::error("plugin " + describe(plugin) + ": driver \"" + driver.name +
                                "\" is already registered by plugin " + describe(existing->plugin) +
                                "; remove one of the two files from the plugin path");
    }
  }
  for (auto& driver : drivers) {
    Slot slot{DriverEntry{driver.name, driver.constructor.get(), plugin},
              std::move(driver.constructor)};
    drivers_.emplace(driver.name, std::move(slot));
  }
  drivers.clear();
  return sdk::Status::ok();
}

std::unique_ptr<sdk::Driver> DriverRegistry::from_config(std::string_view config_key,
                                                         sdk::Queue& queue,
                                                         const sdk::Pipeline& pipeline) {
  const DriverEntry* entry = find(pipeline.driver());
  if (entry == nullptr) {
    throw std::invalid_argument("no driver \"" + pipeline.driver() + "\" is registered");
  }
  return construct_from_config(*entry, config_key, queue, pipeline);
}

sdk::Result<std::unique_ptr<sdk::Driver>> DriverRegistry::from_pipeline(
    const sdk::Pipeline& pipeline, sdk::Queue& queue) noexcept {
  const DriverEntry* entry = find(pipeline.driver());
  if (entry == nullptr) return sdk::Status::error("no driver \"" + pipeline.driver() + "\"");
  auto driver = construct_from_pipeline(*entry, pipeline, queue);
  if (!driver) return driver.status();
  return std::unique_ptr<sdk::Driver>(std::move(driver).value());
}

}  // namespace coyote::host::plugin
