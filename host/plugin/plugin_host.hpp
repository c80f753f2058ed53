// The plugin subsystem's entry points for main: load everything, list the drivers.
#pragma once

#include "plugin/driver_registry.hpp"
#include "plugin/plugin_discovery.hpp"
#include "plugin/plugin_error.hpp"
#include "plugin/plugin_loader.hpp"

#include <coyote/sdk/config.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace coyote::host::plugin {

struct PluginLoadReport {
  std::vector<LoadedPlugin> plugins;
  /// Discovery errors (missing explicit paths) first, then load failures in load order.
  std::vector<LoadError> errors;

  [[nodiscard]] bool ok() const noexcept { return errors.empty(); }
  /// Every error on its own line, for a fatal startup message.
  [[nodiscard]] std::string error_text() const;
};

/// Discovers (default_plugin_search) and loads every plugin into `registry`. Never throws for a
/// bad plugin — failures are in the report (serve: fatal; `coyote drivers`: print, exit 1) — but
/// a malformed `coyote.plugins` value throws sdk::ConfigError. `config` must outlive the process's
/// use of the drivers.
PluginLoadReport load_plugins(const sdk::Config& config,
                              const std::filesystem::path& config_base_dir,
                              DriverRegistry& registry);

/// Same, with an explicit search (tests; a CLI flag).
PluginLoadReport load_plugins(const PluginSearch& search, const sdk::Config& config,
                              DriverRegistry& registry);

/// One row of `coyote drivers`.
struct DriverRow {
  std::string name;
  std::string file;
  std::string sdk_version;
  std::string plugin_name;
};

/// Sorted by driver name.
[[nodiscard]] std::vector<DriverRow> driver_rows(const DriverRegistry& registry);

}  // namespace coyote::host::plugin
