// SilentLogger: an sdk::Logger that drops everything, for drivers built outside the host.
#pragma once

#include <coyote/sdk/logger.hpp>

#include <string_view>

namespace coyote::test {

class SilentLogger final : public sdk::Logger {
 public:
  void log(sdk::LogLevel /*level*/, std::string_view /*message*/) override {}
  [[nodiscard]] bool enabled(sdk::LogLevel /*level*/) const override { return false; }
};

}  // namespace coyote::test
