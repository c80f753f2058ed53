#include "plugin/plugin_host.hpp"

namespace coyote::host::plugin {

std::string PluginLoadReport::error_text() const {
  std::string out;
  for (const auto& error : errors) {
    if (!out.empty()) out += '\n';
    out += error.message;
  }
  return out;
}

PluginLoadReport load_plugins(const sdk::Config& config,
                              const std::filesystem::path& config_base_dir,
                              DriverRegistry& registry) {
  return load_plugins(default_plugin_search(config, config_base_dir), config, registry);
}

PluginLoadReport load_plugins(const PluginSearch& search, const sdk::Config& config,
                              DriverRegistry& registry) {
  PluginLoadReport report;
  auto discovery = discover_plugins(search);
  report.errors = std::move(discovery.errors);
  PluginLoader loader(registry, config);
  auto failures = loader.load_all(discovery.candidates);
  report.errors.insert(report.errors.end(), std::make_move_iterator(failures.begin()),
                       std::make_move_iterator(failures.end()));
  report.plugins = loader.loaded();
  return report;
}

std::vector<DriverRow> driver_rows(const DriverRegistry& registry) {
  std::vector<DriverRow> rows;
  for (const auto* entry : registry.entries()) {
    rows.push_back(DriverRow{entry->name, entry->plugin.file.string(), entry->plugin.sdk_version,
                             entry->plugin.plugin_name});
  }
  return rows;
}

}  // namespace coyote::host::plugin
