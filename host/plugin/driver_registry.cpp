#include "plugin/driver_registry.hpp"

#include <algorithm>
#include <set>

namespace coyote::host::plugin {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

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

std::string DriverRegistry::unknown_driver_message(std::string_view driver,
                                                   std::string_view pipeline) const {
  std::string out =
      "unknown driver \"" + std::string(driver) + "\" for pipeline " + std::string(pipeline) + "; ";
  if (drivers_.empty()) {
    return out +
           "no drivers are loaded (check the plugin directory, COYOTE_PLUGIN_PATH and "
           "coyote.plugins)";
  }
  out += "loaded drivers: ";
  const std::string* closest = nullptr;
  std::size_t best = 0;
  bool first = true;
  for (const auto& [name, slot] : drivers_) {
    if (!first) out += ", ";
    first = false;
    out += name;
    std::size_t d = edit_distance(driver, name);
    if (closest == nullptr || d < best) {
      closest = &name;
      best = d;
    }
  }
  // Only suggest a name that is a plausible typo, not merely the least different one.
  if (closest != nullptr && best > 0 && best <= std::max<std::size_t>(1, closest->size() / 3)) {
    out += " (did you mean \"" + *closest + "\"?)";
  }
  return out;
}

std::optional<std::string> DriverRegistry::add_plugin(const PluginInfo& plugin,
                                                      std::vector<RegisteredDriver>& drivers) {
  std::set<std::string_view> seen;
  for (const auto& driver : drivers) {
    if (!seen.insert(driver.name).second) {
      return "plugin " + describe(plugin) + " registers driver \"" + driver.name +
             "\" twice: each driver name must be registered once";
    }
    if (const auto* existing = find(driver.name)) {
      return "plugin " + describe(plugin) + ": driver \"" + driver.name +
             "\" is already registered by plugin " + describe(existing->plugin) +
             "; remove one of the two files from the plugin path";
    }
  }
  for (auto& driver : drivers) {
    Slot slot{DriverEntry{driver.name, driver.constructor.get(), plugin},
              std::move(driver.constructor)};
    drivers_.emplace(driver.name, std::move(slot));
  }
  drivers.clear();
  return std::nullopt;
}

}  // namespace coyote::host::plugin
