#include "log/json_formatter.hpp"

#include "log/escaped_message.hpp"

#include <coyote/sdk/json_text.hpp>

#include <chrono>
#include <cstdio>
#include <string>

namespace coyote::host::log {
namespace {

std::string_view level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:  // zap has no trace; keep consumers' level sets
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "fatal";
    default:
      return "info";
  }
}

}  // namespace

void JsonFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  std::string out;
  out.reserve(msg.payload.size() + 96);
  out += R"({"level":")";
  out += level_name(msg.level);
  out += R"(","ts":)";
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(msg.time.time_since_epoch()).count();
  char ts[48];
  std::snprintf(ts, sizeof ts, "%lld.%06lld", static_cast<long long>(micros / 1000000),
                static_cast<long long>(micros % 1000000));
  out += ts;
  if (msg.logger_name.size() != 0) {
    out += ",\"logger\":";
    sdk::json_text::append_string(out, {msg.logger_name.data(), msg.logger_name.size()});
  }
  out += ",\"msg\":";
  // append_string escapes control characters; invalid UTF-8 (a worker's stderr) would still
  // make the line invalid JSON.
  const std::string_view payload(msg.payload.data(), msg.payload.size());
  bool ascii = true;
  for (const char c : payload) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  sdk::json_text::append_string(out, ascii ? std::string(payload) : valid_utf8(payload));
  out += "}\n";
  dest.append(out.data(), out.data() + out.size());
}

std::unique_ptr<spdlog::formatter> JsonFormatter::clone() const {
  return std::make_unique<JsonFormatter>();
}

}  // namespace coyote::host::log
