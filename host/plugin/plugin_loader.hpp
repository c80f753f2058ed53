// PluginLoader: opens driver plugins (.so), checks their descriptor, registers their drivers.
#pragma once

#include "plugin/driver_registry.hpp"
#include "plugin/plugin_error.hpp"

#include <coyote/sdk/config.hpp>
#include <coyote/sdk/result.hpp>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace coyote::host::plugin {

/// A file to try, and how it was found: a file found by scanning a directory may turn out not to
/// be a plugin (skipped); a file named explicitly must be one.
struct PluginCandidate {
  std::filesystem::path path;
  bool explicit_file = false;
  std::string origin;  ///< "COYOTE_PLUGIN_PATH", "coyote.plugins", "plugin dir /x", for messages
};

struct LoadedPlugin {
  PluginInfo info;
  std::vector<std::string> drivers;
};

/// What load() did with a candidate when it did not fail.
enum class LoadOutcome {
  kLoaded,
  kSkipped,        ///< a scanned file that is not a plugin (why is logged at debug level)
  kAlreadyLoaded,  ///< the same file was reached through another path
};

/// Loads with rtld_now | rtld_local (a missing symbol fails at load, plugins don't see each
/// other's symbols) and never unloads: every opened library stays mapped until process exit,
/// because plugin vtables, destructors and std::function targets outlive any single call.
///
/// Order of checks, before any C++ object crosses the boundary: ELF magic, dlopen, the C entry
/// symbol, abi_version and struct_size, then the toolchain fingerprint and SDK major version,
/// then registration through a HostRegistrar, then the all-or-nothing insert into the registry.
///
/// Control-plane only: use from one thread at startup.
class PluginLoader {
 public:
  /// `config` must outlive every plugin (constructors keep the reference); the host's real
  /// Config lives for the whole process.
  PluginLoader(DriverRegistry& registry, const sdk::Config& config);

  /// The outcome, or the complete error when the candidate must load and does not.
  sdk::Result<LoadOutcome> load(const PluginCandidate& candidate);
  /// Loads every candidate in order; returns one error per failed candidate.
  std::vector<LoadError> load_all(const std::vector<PluginCandidate>& candidates);

  [[nodiscard]] const std::vector<LoadedPlugin>& loaded() const noexcept { return loaded_; }

 private:
  sdk::Result<LoadOutcome> load_checked(const PluginCandidate& candidate,
                                        const std::filesystem::path& canonical);

  DriverRegistry& registry_;
  const sdk::Config& config_;
  std::set<std::filesystem::path> seen_;
  std::vector<LoadedPlugin> loaded_;
};

/// True when the file starts with the ELF magic bytes.
[[nodiscard]] bool is_elf_file(const std::filesystem::path& path);

}  // namespace coyote::host::plugin
