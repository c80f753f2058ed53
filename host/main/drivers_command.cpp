#include "main/drivers_command.hpp"

#include "plugin/plugin_host.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace coyote::host::cli {

int run_drivers(const ConfigOptions& options, bool json) {
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

  if (json) {
    boost::json::array out;
    for (const auto& row : rows) {
      out.push_back({{"name", row.name},
                     {"file", row.file},
                     {"sdk_version", row.sdk_version},
                     {"plugin", row.plugin_name}});
    }
    std::cout << boost::json::serialize(out) << "\n";
  } else {
    std::size_t name_w = 6;
    std::size_t file_w = 4;
    for (const auto& row : rows) {
      name_w = std::max(name_w, row.name.size());
      file_w = std::max(file_w, row.file.size());
    }
    std::printf("%-*s  %-*s  %s\n", static_cast<int>(name_w), "DRIVER", static_cast<int>(file_w),
                "FILE", "SDK");
    for (const auto& row : rows) {
      std::printf("%-*s  %-*s  %s\n", static_cast<int>(name_w), row.name.c_str(),
                  static_cast<int>(file_w), row.file.c_str(), row.sdk_version.c_str());
    }
    if (rows.empty()) std::printf("(no drivers found)\n");
  }
  if (!report.ok()) {
    std::fprintf(stderr, "coyote: some plugins failed to load:\n%s\n", report.error_text().c_str());
    return 1;
  }
  return 0;
}

}  // namespace coyote::host::cli
