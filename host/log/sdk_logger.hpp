// SdkLogger: the sdk::Logger a plugin gets, backed by the host's "plugin.<name>" spdlog logger.
#pragma once

#include <coyote/sdk/logger.hpp>

#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

namespace coyote::host::log {

class SdkLogger final : public sdk::Logger {
 public:
  explicit SdkLogger(std::shared_ptr<spdlog::logger> logger) : logger_(std::move(logger)) {}

  /// The logger for plugin `plugin_name`: log::get("plugin.<plugin_name>").
  static std::unique_ptr<SdkLogger> for_plugin(std::string_view plugin_name);

  void log(sdk::LogLevel level, std::string_view message) override;
  [[nodiscard]] bool enabled(sdk::LogLevel level) const override;

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace coyote::host::log
