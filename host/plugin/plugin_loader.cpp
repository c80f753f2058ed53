#include "plugin/plugin_loader.hpp"

#include "log/log.hpp"
#include "log/sdk_logger.hpp"
#include "plugin/host_registrar.hpp"

#include <coyote/sdk/abi.hpp>

#include <dlfcn.h>
#include <boost/dll/shared_library.hpp>

#include <array>
#include <cstddef>
#include <fstream>
#include <memory>
#include <mutex>

namespace coyote::host::plugin {
namespace {

namespace fs = std::filesystem;

/// Libraries and per-plugin loggers live until process exit on purpose: objects made by plugin
/// code (and references plugins keep to their logger) may be touched during static destruction,
/// after any owner we could name here is gone. Deliberately leaked; LeakSanitizer treats it as
/// reachable through the static pointer.
struct KeepAlive {
  std::mutex mutex;
  std::vector<boost::dll::shared_library> libraries;
  std::vector<std::unique_ptr<log::SdkLogger>> loggers;
};

KeepAlive& keep_alive() {
  // Leaked on purpose (see KeepAlive): plugin code may run during static destruction.
  static auto* store = new KeepAlive;  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)
  return *store;
}

constexpr std::size_t kMinDescriptorSize =
    offsetof(coyote_plugin_descriptor, register_plugin) + sizeof(void*);
constexpr std::size_t kErrorBufferSize = 2048;

std::string major_of(std::string_view version) {
  return std::string(version.substr(0, version.find('.')));
}

sdk::Result<LoadOutcome> failed(std::string message) {
  return sdk::Status::error(std::move(message));
}

// Failures are returned, not logged (the caller decides whether they are fatal); a skipped
// file is not a failure, only worth a debug line.
sdk::Result<LoadOutcome> skipped(const std::string& why) {
  log::get("plugin")->debug("{}", why);
  return LoadOutcome::kSkipped;
}

std::string origin_hint(const PluginCandidate& candidate) {
  return candidate.origin.empty() ? std::string() : " (from " + candidate.origin + ")";
}

}  // namespace

bool is_elf_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<char, 4> magic{};
  if (!in.read(magic.data(), magic.size())) return false;
  return magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
}

PluginLoader::PluginLoader(DriverRegistry& registry, const sdk::Config& config)
    : registry_(registry), config_(config) {}

std::vector<LoadError> PluginLoader::load_all(const std::vector<PluginCandidate>& candidates) {
  std::vector<LoadError> errors;
  for (const auto& candidate : candidates) {
    auto result = load(candidate);
    if (!result) errors.push_back(LoadError{candidate.path, result.error()});
  }
  return errors;
}

sdk::Result<LoadOutcome> PluginLoader::load(const PluginCandidate& candidate) {
  std::error_code ec;
  fs::path canonical = fs::canonical(candidate.path, ec);
  if (ec) {
    return failed("plugin " + candidate.path.string() + origin_hint(candidate) +
                  " cannot be opened: " + ec.message());
  }
  if (!fs::is_regular_file(canonical, ec)) {
    return failed("plugin " + candidate.path.string() + origin_hint(candidate) +
                  " is not a regular file");
  }
  // The same file may be reachable twice (built-in dir and COYOTE_PLUGIN_PATH): load it once,
  // or its drivers would collide with themselves.
  if (!seen_.insert(canonical).second) return LoadOutcome::kAlreadyLoaded;
  return load_checked(candidate, canonical);
}

sdk::Result<LoadOutcome> PluginLoader::load_checked(const PluginCandidate& candidate,
                                                    const fs::path& canonical) {
  const std::string file = candidate.path.string();
  const std::string hint = origin_hint(candidate);

  if (!is_elf_file(canonical)) {
    if (!candidate.explicit_file)
      return skipped("skipping " + file + ": not an ELF shared library");
    return failed("plugin " + file + hint +
                  " is not a shared library (no ELF header): list only Coyote plugin .so files "
                  "or directories");
  }

  boost::dll::shared_library library;
  {
    boost::dll::fs::error_code load_error;
    library.load(boost::dll::fs::path(canonical.string()),
                 boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, load_error);
    if (load_error || !library.is_loaded()) {
      const char* reason = dlerror();  // NOLINT(concurrency-mt-unsafe): thread-local in glibc
      return failed("plugin " + file + hint + " cannot be loaded: " +
                    (reason != nullptr ? std::string(reason) : load_error.message()));
    }
  }
  {
    std::lock_guard lock(keep_alive().mutex);
    keep_alive().libraries.push_back(library);
  }

  if (!library.has(COYOTE_PLUGIN_ENTRY_NAME)) {
    if (!candidate.explicit_file) {
      return skipped("skipping " + file + ": no " COYOTE_PLUGIN_ENTRY_NAME " symbol");
    }
    return failed("plugin " + file + hint +
                  " has no " COYOTE_PLUGIN_ENTRY_NAME
                  " symbol: it is not a Coyote plugin (declare one with COYOTE_PLUGIN(...))");
  }
  auto& entry = library.get<const coyote_plugin_descriptor*()>(COYOTE_PLUGIN_ENTRY_NAME);

  const coyote_plugin_descriptor* descriptor = nullptr;
  try {
    descriptor = entry();
  } catch (...) {
    return failed("plugin " + file + ": " COYOTE_PLUGIN_ENTRY_NAME " threw an exception");
  }
  if (descriptor == nullptr) {
    return failed("plugin " + file + ": " COYOTE_PLUGIN_ENTRY_NAME " returned no descriptor");
  }

  // Only these two fields are read until they check out: later ABIs may change the rest.
  const std::uint32_t abi_version = descriptor->abi_version;
  const std::uint32_t struct_size = descriptor->struct_size;
  if (abi_version != COYOTE_SDK_ABI_VERSION) {
    return failed("plugin " + file + ": ABI version " + std::to_string(abi_version) +
                  ", this host speaks " + std::to_string(COYOTE_SDK_ABI_VERSION) +
                  ": rebuild the plugin against SDK " COYOTE_SDK_VERSION);
  }
  if (struct_size < kMinDescriptorSize) {
    return failed("plugin " + file + ": descriptor is " + std::to_string(struct_size) +
                  " bytes, ABI version " + std::to_string(abi_version) + " needs at least " +
                  std::to_string(kMinDescriptorSize) +
                  ": rebuild the plugin against SDK " COYOTE_SDK_VERSION);
  }
  if (descriptor->sdk_version == nullptr || descriptor->compiler == nullptr ||
      descriptor->stdlib == nullptr || descriptor->plugin_name == nullptr ||
      descriptor->register_plugin == nullptr) {
    return failed("plugin " + file +
                  ": descriptor has empty fields: declare the plugin with COYOTE_PLUGIN(...)");
  }

  const std::string plugin_name = descriptor->plugin_name;
  const std::string sdk_version = descriptor->sdk_version;
  const std::string who = "plugin " + file + " (" + plugin_name + ")";
  if (plugin_name.empty())
    return failed("plugin " + file + ": descriptor has an empty plugin name");
  if (std::string_view(descriptor->compiler) != COYOTE_SDK_COMPILER) {
    return failed(who + ": built with compiler " + descriptor->compiler +
                  ", this host with " COYOTE_SDK_COMPILER
                  ": rebuild the plugin with the host's compiler");
  }
  if (std::string_view(descriptor->stdlib) != COYOTE_SDK_STDLIB) {
    return failed(who + ": built with standard library " + descriptor->stdlib +
                  ", this host with " COYOTE_SDK_STDLIB
                  ": rebuild the plugin with the host's standard library");
  }
  if (major_of(sdk_version) != major_of(COYOTE_SDK_VERSION)) {
    return failed(who + ": built against SDK " + sdk_version +
                  ", this host provides SDK " COYOTE_SDK_VERSION
                  " (major versions differ): rebuild the plugin against SDK " COYOTE_SDK_VERSION);
  }

  log::SdkLogger* plugin_logger = nullptr;
  {
    auto owned = log::SdkLogger::for_plugin(plugin_name);
    plugin_logger = owned.get();
    std::lock_guard lock(keep_alive().mutex);
    keep_alive().loggers.push_back(std::move(owned));
  }

  HostRegistrar registrar(config_, *plugin_logger);
  std::array<char, kErrorBufferSize> error{};
  int rc = 0;
  try {
    rc = descriptor->register_plugin(static_cast<sdk::Registrar*>(&registrar), error.data(),
                                     error.size());
  } catch (const std::exception& e) {
    // A hand-written descriptor without the SDK's barrier.
    return failed(who + " failed while registering: " + e.what());
  } catch (...) {
    return failed(who + " failed while registering: a non-standard exception");
  }
  if (rc != 0) {
    error.back() = '\0';
    std::string message = error.data();
    return failed(who + " failed while registering: " +
                  (message.empty() ? std::string("(no message)") : message));
  }
  if (!registrar.problem().empty()) {
    return failed(who + " failed while registering: " + registrar.problem());
  }

  PluginInfo info{candidate.path, plugin_name, sdk_version};
  LoadedPlugin loaded{info, {}};
  for (const auto& driver : registrar.drivers()) loaded.drivers.push_back(driver.name);
  if (auto added = registry_.add_plugin(info, registrar.drivers()); !added) return added;

  std::string names;
  for (const auto& name : loaded.drivers) names += (names.empty() ? "" : ", ") + name;
  log::get("plugin")->info("loaded plugin {} from {} (SDK {}, drivers: {})", plugin_name, file,
                           sdk_version, names);
  loaded_.push_back(std::move(loaded));
  return LoadOutcome::kLoaded;
}

}  // namespace coyote::host::plugin
