#include "main/config_source.hpp"

#include "main/embedded_config.hpp"

#include <coyote/sdk/config.hpp>

#include <system_error>

namespace coyote::host::cli {

config::ConfigDocument load_config(const ConfigOptions& options) {
  if (!options.working_dir.empty()) {
    std::error_code ec;
    std::filesystem::current_path(options.working_dir, ec);
    if (ec) {
      throw sdk::ConfigError(
          "", 0, 0, "",
          "cannot use working directory \"" + options.working_dir + "\" (-w): " + ec.message());
    }
  }
  const auto cwd = std::filesystem::current_path();
  if (!options.file.empty())
    return config::ConfigDocument::load(options.file, options.overrides, cwd);
  if (std::filesystem::exists(cwd / ".rr.yaml")) {
    return config::ConfigDocument::load(cwd / ".rr.yaml", options.overrides, cwd);
  }
  return config::ConfigDocument::parse(kEmbeddedConfig, kEmbeddedConfigName, options.overrides,
                                       cwd);
}

}  // namespace coyote::host::cli
