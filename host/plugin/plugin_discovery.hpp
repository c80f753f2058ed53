// Plugin discovery: which files to load, from the built-in dir, COYOTE_PLUGIN_PATH and config.
#pragma once

#include "config/key_spec.hpp"

#include "plugin/plugin_error.hpp"
#include "plugin/plugin_loader.hpp"

#include <coyote/sdk/config.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace coyote::host::plugin {

inline constexpr const char* kPluginPathEnv = "COYOTE_PLUGIN_PATH";
inline constexpr const char* kPluginsConfigKey = "coyote.plugins";

/// The `coyote` section's keys (default_plugin_search reads them): type, default, doc.
[[nodiscard]] const config::Spec& coyote_keys();

/// Where to look, in load order. Each entry is a directory (scanned for *.so, sorted by name;
/// non-plugins inside are skipped) or a file (which must be a plugin).
struct PluginSearch {
  /// Scanned when it exists; a missing built-in dir is not an error (tests, bare installs).
  std::optional<std::filesystem::path> builtin_dir;
  /// The value of COYOTE_PLUGIN_PATH: colon-separated; relative entries resolve against the cwd.
  std::string env_path;
  /// The coyote.plugins list; relative entries resolve against `config_base_dir`.
  std::vector<std::string> config_entries;
  std::filesystem::path config_base_dir;
};

/// `<dir of /proc/self/exe>/../lib/coyote/plugins`, the same relative layout in the build tree
/// and when installed. Empty when /proc/self/exe cannot be read.
[[nodiscard]] std::filesystem::path builtin_plugin_dir();

/// The built-in dir, the environment and `coyote.plugins` from `config` (throws sdk::ConfigError
/// when that key is not a list of strings). `config_base_dir` is usually the config file's dir.
[[nodiscard]] PluginSearch default_plugin_search(const sdk::Config& config,
                                                 std::filesystem::path config_base_dir);

/// Regular files named *.so directly inside `dir`, sorted by file name.
[[nodiscard]] std::vector<PluginCandidate> scan_plugin_dir(const std::filesystem::path& dir,
                                                           const std::string& origin);

struct Discovery {
  std::vector<PluginCandidate> candidates;
  /// Paths given explicitly that do not exist or cannot be read.
  std::vector<LoadError> errors;
};

[[nodiscard]] Discovery discover_plugins(const PluginSearch& search);

}  // namespace coyote::host::plugin
