// ConfigSource: which configuration a command runs on (-c, ./.rr.yaml, or the embedded example).
#pragma once

#include "config/config_document.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace coyote::host::cli {

struct ConfigOptions {
  std::string file;                    ///< -c; empty: .rr.yaml in the working dir, else embedded
  std::string working_dir;             ///< -w
  std::vector<std::string> overrides;  ///< -o key.path=value
};

/// Loads the configuration the options select. With no -c and no ./.rr.yaml the embedded copy of
/// .rr.yaml.example is used, so `coyote serve` runs on a fresh checkout with no arguments.
/// Changes the process's working directory to -w first (relative paths in the config, such as
/// the worker script, resolve against it, as with `rr -w`). Throws sdk::ConfigError.
config::ConfigDocument load_config(const ConfigOptions& options);

}  // namespace coyote::host::cli
