#include "log/sdk_logger.hpp"

#include "log/log.hpp"

#include <string>

namespace coyote::host::log {
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
  return spdlog::level::info;
}

}  // namespace

std::unique_ptr<SdkLogger> SdkLogger::for_plugin(std::string_view plugin_name) {
  return std::make_unique<SdkLogger>(get("plugin." + std::string(plugin_name)));
}

void SdkLogger::log(sdk::LogLevel level, std::string_view message) {
  // Never let a logging failure escape into a plugin: the ABI boundary forbids exceptions.
  try {
    logger_->log(to_spdlog(level), spdlog::string_view_t(message.data(), message.size()));
  } catch (...) {
  }
}

bool SdkLogger::enabled(sdk::LogLevel level) const { return logger_->should_log(to_spdlog(level)); }

}  // namespace coyote::host::log
