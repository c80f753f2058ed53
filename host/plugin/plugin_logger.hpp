// PluginLogger: the sdk::Logger a plugin receives, forwarding to the host's "plugin.<name>" logger.
#pragma once

#include <coyote/sdk/logger.hpp>

#include <spdlog/logger.h>

#include <memory>
#include <string_view>

namespace coyote::host::plugin {

/// Thread-safe because spdlog loggers are; the message is formatted into spdlog's own buffer
/// before log() returns, as the SDK contract requires.
class PluginLogger final : public sdk::Logger {
 public:
  explicit PluginLogger(std::shared_ptr<spdlog::logger> logger);
  /// The host logger "plugin.<plugin_name>".
  static std::unique_ptr<PluginLogger> for_plugin(std::string_view plugin_name);

  void log(sdk::LogLevel level, std::string_view message) override;
  [[nodiscard]] bool enabled(sdk::LogLevel level) const override;

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace coyote::host::plugin
