// Config: a read-only view of the loaded .rr.yaml, with errors that say where and what.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::sdk {

/// Thrown for a bad value: carries the file, line, column (1-based, 0 when unknown) and the
/// dotted key path, and what() reads "FILE:LINE:COL: KEY: PROBLEM".
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, int line, int column, std::string key, const std::string& problem)
      : std::runtime_error(format(file, line, column, key, problem)),
        file_(std::move(file)),
        line_(line),
        column_(column),
        key_(std::move(key)),
        problem_(problem) {}

  [[nodiscard]] const std::string& file() const noexcept { return file_; }
  [[nodiscard]] int line() const noexcept { return line_; }
  [[nodiscard]] int column() const noexcept { return column_; }
  [[nodiscard]] const std::string& key() const noexcept { return key_; }
  [[nodiscard]] const std::string& problem() const noexcept { return problem_; }

 private:
  // Built with append() rather than operator+: GCC 12 at -O2 reports a false -Wrestrict on
  // chained std::string concatenation, which would break -Werror builds of every plugin.
  static std::string format(const std::string& file, int line, int column, const std::string& key,
                            const std::string& problem) {
    std::string out = file.empty() ? std::string("<config>") : file;
    if (line > 0) {
      out.append(":").append(std::to_string(line)).append(":").append(std::to_string(column));
    }
    out.append(": ");
    if (!key.empty()) out.append(key).append(": ");
    out.append(problem);
    return out;
  }

  std::string file_;
  int line_;
  int column_;
  std::string key_;
  std::string problem_;
};

/// Implemented by the host over the parsed YAML (after ${VAR} expansion and -o overrides).
/// Keys are dotted paths ("jobs.pipelines.test.config.prefetch"). Typed getters throw ConfigError
/// when the key exists but has the wrong type; the *_or variants return the default when absent.
/// Durations accept RoadRunner's forms ("60s", "1m30s", "500ms") and bare integers (seconds).
class Config {
 public:
  virtual ~Config() = default;

  [[nodiscard]] virtual bool has(std::string_view path) const = 0;
  [[nodiscard]] virtual std::optional<std::string> string(std::string_view path) const = 0;
  [[nodiscard]] virtual std::optional<std::int64_t> integer(std::string_view path) const = 0;
  [[nodiscard]] virtual std::optional<double> number(std::string_view path) const = 0;
  [[nodiscard]] virtual std::optional<bool> boolean(std::string_view path) const = 0;
  [[nodiscard]] virtual std::optional<std::chrono::milliseconds> duration(
      std::string_view path) const = 0;
  [[nodiscard]] virtual std::optional<std::vector<std::string>> strings(
      std::string_view path) const = 0;
  /// The scalar at `path` exactly as written (after ${VAR} expansion and -o overrides),
  /// whatever its YAML type: "10", "true", "1.5", "60s", "text". nullopt when the key is absent
  /// or holds a map or a list. Never throws.
  [[nodiscard]] virtual std::optional<std::string> text(std::string_view path) const = 0;
  /// Child key names of a map node, in file order; empty when absent or not a map.
  [[nodiscard]] virtual std::vector<std::string> keys(std::string_view path) const = 0;
  /// A ConfigError located at `path` (or at its closest existing parent), for a driver's own
  /// validation ("prefetch must be positive").
  [[nodiscard]] virtual ConfigError error_at(std::string_view path,
                                             const std::string& problem) const = 0;

  [[nodiscard]] std::string string_or(std::string_view path, std::string fallback) const {
    auto v = string(path);
    return v ? *v : std::move(fallback);
  }
  [[nodiscard]] std::int64_t integer_or(std::string_view path, std::int64_t fallback) const {
    return integer(path).value_or(fallback);
  }
  [[nodiscard]] double number_or(std::string_view path, double fallback) const {
    return number(path).value_or(fallback);
  }
  [[nodiscard]] bool boolean_or(std::string_view path, bool fallback) const {
    return boolean(path).value_or(fallback);
  }
  [[nodiscard]] std::chrono::milliseconds duration_or(std::string_view path,
                                                      std::chrono::milliseconds fallback) const {
    return duration(path).value_or(fallback);
  }
};

}  // namespace coyote::sdk
