// JsonFormatter: one JSON object per line, with the keys zap's production encoder uses.
#pragma once

#include <spdlog/formatter.h>

#include <memory>

namespace coyote::host::log {

/// {"level":"info","ts":1700000000.123456,"logger":"jobs","msg":"..."} — the shape RoadRunner's
/// production logs have, so existing log shippers keep parsing them.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override;
};

}  // namespace coyote::host::log
