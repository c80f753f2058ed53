#include "plugin/driver_registry.hpp"

#include <algorithm>
#include <set>

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

}  // namespace coyote::host::plugin
