#include "log/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>
#include <string>

namespace coyote::host::log {

std::shared_ptr<spdlog::logger> get(std::string_view name) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::string key(name);
  if (auto existing = spdlog::get(key)) return existing;
  auto base = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(key, base->sinks().begin(), base->sinks().end());
  logger->set_level(base->level());
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace coyote::host::log
