// Pipeline: a named route from producers to one driver instance, with its options.
#pragma once

#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace coyote::sdk {

/// Options are a flat string map, the shape of a jobs.Declare request (spec 5.5). For pipelines
/// from .rr.yaml the host fills it from the pipeline's scalar keys (top level, then `config`) so
/// both paths read the same way; structured config is read through Config at config_key.
///
/// Getter semantics follow RoadRunner's Pipeline helpers (spec 5.4): an absent or empty value
/// gives the default; integer() parses decimal text; boolean() understands "true"/"false" only.
class Pipeline {
 public:
  using Options = std::map<std::string, std::string, std::less<>>;

  Pipeline() = default;
  Pipeline(std::string name, std::string driver, std::int64_t priority, Options options = {})
      : name_(std::move(name)),
        driver_(std::move(driver)),
        priority_(priority),
        options_(std::move(options)) {}

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::string& driver() const noexcept { return driver_; }
  /// Lower runs first; RoadRunner's default is 10.
  [[nodiscard]] std::int64_t priority() const noexcept { return priority_; }
  [[nodiscard]] const Options& options() const noexcept { return options_; }

  [[nodiscard]] bool has(std::string_view key) const {
    return options_.find(key) != options_.end();
  }

  [[nodiscard]] std::string string(std::string_view key, std::string fallback = {}) const {
    auto it = options_.find(key);
    if (it == options_.end() || it->second.empty()) return fallback;
    return it->second;
  }

  [[nodiscard]] std::int64_t integer(std::string_view key, std::int64_t fallback) const {
    auto it = options_.find(key);
    if (it == options_.end()) return fallback;
    std::int64_t value = 0;
    const auto& s = it->second;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || end != s.data() + s.size()) return fallback;
    return value;
  }

  [[nodiscard]] bool boolean(std::string_view key, bool fallback) const {
    auto it = options_.find(key);
    if (it == options_.end()) return fallback;
    if (it->second == "true") return true;
    if (it->second == "false") return false;
    return fallback;
  }

 private:
  std::string name_;
  std::string driver_;
  std::int64_t priority_ = 10;
  Options options_;
};

}  // namespace coyote::sdk
