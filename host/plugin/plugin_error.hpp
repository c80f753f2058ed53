// PluginError and LoadError: why a plugin could not be loaded or one of its drivers misbehaved.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace coyote::host::plugin {

/// Thrown on the control plane (building a driver at startup) when plugin code fails in a way
/// that is not a configuration problem. what() is complete and names the plugin file.
class PluginError : public std::runtime_error {
 public:
  PluginError(std::filesystem::path file, const std::string& message)
      : std::runtime_error(message), file_(std::move(file)) {}

  [[nodiscard]] const std::filesystem::path& file() const noexcept { return file_; }

 private:
  std::filesystem::path file_;
};

/// One plugin (or plugin path) that could not be loaded. `message` is complete and names the file;
/// the caller decides whether it is fatal (serve) or only reported (coyote drivers).
struct LoadError {
  std::filesystem::path file;
  std::string message;
};

}  // namespace coyote::host::plugin
