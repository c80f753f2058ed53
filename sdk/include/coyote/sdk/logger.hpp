// Logger: a driver's channel into the host's log (spdlog behind it, never visible here).
#pragma once

#include <string_view>

namespace coyote::sdk {

enum class LogLevel { kTrace = 0, kDebug, kInfo, kWarn, kError };

/// Implemented by the host; one named logger per plugin. Thread-safe: drivers may log from any
/// thread, including their own broker threads. The message is copied before log() returns.
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void log(LogLevel level, std::string_view message) = 0;
  [[nodiscard]] virtual bool enabled(LogLevel level) const = 0;

  void trace(std::string_view m) { log(LogLevel::kTrace, m); }
  void debug(std::string_view m) { log(LogLevel::kDebug, m); }
  void info(std::string_view m) { log(LogLevel::kInfo, m); }
  void warn(std::string_view m) { log(LogLevel::kWarn, m); }
  void error(std::string_view m) { log(LogLevel::kError, m); }
};

}  // namespace coyote::sdk
