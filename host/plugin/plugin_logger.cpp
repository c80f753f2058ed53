#include "plugin/plugin_logger.hpp"

#include "log/log.hpp"

#include <string>

namespace coyote::host::plugin {
namespace {

spdlog::level::level_enum to_spdlog(sdk::LogLevel level) {
  switch (level) {
    case sdk::LogLevel::kTrace:
      return spdlog::level::trace;
    case sdk::LogLevel::kDebug:
      return spdlog::level::debug;
    case sdk::LogLevel::kInfo:
      return spdlog::level::info;
    case sdk::LogLevel::kWarn:
      return spdlog::level::warn;
    case sdk::LogLevel::kError:
      return spdlog::level::err;
  }
  // A level from a newer SDK: keep the message rather than drop it.
  return spdlog::level::info;
}

}  // namespace

PluginLogger::PluginLogger(std::shared_ptr<spdlog::logger> logger) : logger_(std::move(logger)) {}

std::unique_ptr<PluginLogger> PluginLogger::for_plugin(std::string_view plugin_name) {
  return std::make_unique<PluginLogger>(log::get("plugin." + std::string(plugin_name)));
}

void PluginLogger::log(sdk::LogLevel level, std::string_view message) {
  logger_->log(to_spdlog(level), "{}", message);
}

bool PluginLogger::enabled(sdk::LogLevel level) const {
  return logger_->should_log(to_spdlog(level));
}

}  // namespace coyote::host::plugin
