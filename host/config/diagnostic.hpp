// Diagnostic: one finding of schema validation (an error that stops startup, or a warning).
#pragma once

#include <coyote/sdk/config.hpp>

#include <string>

namespace coyote::host::config {

struct Diagnostic {
  enum class Severity { kError, kWarning };

  Severity severity = Severity::kError;
  std::string file;
  int line = 0;     ///< 1-based; 0 when unknown
  int column = 0;   ///< 1-based; 0 when unknown
  std::string key;  ///< dotted path
  std::string message;

  [[nodiscard]] bool is_error() const noexcept { return severity == Severity::kError; }
  /// The same text as the ConfigError: "FILE:LINE:COL: KEY: MESSAGE".
  [[nodiscard]] std::string to_string() const { return to_error().what(); }
  [[nodiscard]] sdk::ConfigError to_error() const { return {file, line, column, key, message}; }
};

}  // namespace coyote::host::config
