#include "cli/drivers_command.hpp"

#include "cli/table.hpp"
#include "plugin/plugin_host.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <iostream>

namespace coyote::host::cli {

int run_drivers(const Options& options) {
  std::unique_ptr<config::ConfigDocument> cfg;
  try {
    cfg = std::make_unique<config::ConfigDocument>(load_config(options));
  } catch (const sdk::ConfigError& e) {
    std::fprintf(stderr, "coyote: configuration error: %s\n", e.what());
    return 1;
  }
  plugin::DriverRegistry registry;
  plugin::PluginLoadReport report;
  try {
    report = plugin::load_plugins(*cfg, cfg->working_dir(), registry);
  } catch (const sdk::ConfigError& e) {
    std::fprintf(stderr, "coyote: configuration error: %s\n", e.what());
    return 1;
  }
  const auto rows = plugin::driver_rows(registry);

  if (options.json) {
    boost::json::array out;
    for (const auto& row : rows) {
      out.push_back({{"name", row.name},
                     {"file", row.file},
                     {"sdk_version", row.sdk_version},
                     {"plugin", row.plugin_name}});
    }
    std::cout << boost::json::serialize(out) << "\n";
  } else {
    std::vector<std::vector<std::string>> table;
    table.reserve(rows.size());
    for (const auto& row : rows) table.push_back({row.name, row.file, row.sdk_version});
    print_table({"DRIVER", "FILE", "SDK"}, table);
    if (rows.empty()) std::cout << "(no drivers found)\n";
  }
  if (!report.ok()) {
    std::fprintf(stderr, "coyote: some plugins failed to load:\n%s\n", report.error_text().c_str());
    return 1;
  }
  return 0;
}

}  // namespace coyote::host::cli
