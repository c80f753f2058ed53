// A test-only sdk::Config over a flat map of dotted keys (the real one lives in host/config).
#pragma once

#include <coyote/sdk/config.hpp>

#include <map>
#include <string>
#include <variant>
#include <vector>

namespace coyote::test {

class TestConfig final : public sdk::Config {
 public:
  using Value = std::variant<std::string, std::int64_t, std::vector<std::string>>;

  TestConfig& set(std::string key, Value value) {
    values_[std::move(key)] = std::move(value);
    return *this;
  }

  [[nodiscard]] bool has(std::string_view path) const override {
    return values_.count(std::string(path)) > 0;
  }
  [[nodiscard]] std::optional<std::string> string(std::string_view path) const override {
    return get<std::string>(path, "a string");
  }
  [[nodiscard]] std::optional<std::string> text(std::string_view path) const override {
    auto it = values_.find(std::string(path));
    if (it == values_.end()) return std::nullopt;
    if (const auto* s = std::get_if<std::string>(&it->second)) return *s;
    if (const auto* i = std::get_if<std::int64_t>(&it->second)) return std::to_string(*i);
    return std::nullopt;
  }
  [[nodiscard]] std::optional<std::int64_t> integer(std::string_view path) const override {
    return get<std::int64_t>(path, "an integer");
  }
  [[nodiscard]] std::optional<double> number(std::string_view path) const override {
    auto v = integer(path);
    return v ? std::optional<double>(static_cast<double>(*v)) : std::nullopt;
  }
  [[nodiscard]] std::optional<bool> boolean(std::string_view) const override {
    return std::nullopt;
  }
  [[nodiscard]] std::optional<std::chrono::milliseconds> duration(std::string_view) const override {
    return std::nullopt;
  }
  [[nodiscard]] std::optional<std::vector<std::string>> strings(
      std::string_view path) const override {
    return get<std::vector<std::string>>(path, "a list of strings");
  }
  [[nodiscard]] std::vector<std::string> keys(std::string_view) const override { return {}; }
  [[nodiscard]] sdk::ConfigError error_at(std::string_view path,
                                          const std::string& problem) const override {
    return sdk::ConfigError("test.yaml", 1, 1, std::string(path), problem);
  }

 private:
  template <typename T>
  std::optional<T> get(std::string_view path, const char* expected) const {
    auto it = values_.find(std::string(path));
    if (it == values_.end()) return std::nullopt;
    if (const T* v = std::get_if<T>(&it->second)) return *v;
    throw error_at(path, std::string("expected ") + expected);
  }

  std::map<std::string, Value> values_;
};

}  // namespace coyote::test
