// MapConfig: a tiny map-backed sdk::Config for unit tests (the real one parses YAML).
#pragma once

#include <coyote/sdk/config.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace coyote::test {

class MapConfig final : public sdk::Config {
 public:
  using Value = std::variant<std::string, std::int64_t, bool, double, std::vector<std::string>>;

  MapConfig& set(std::string path, Value value) {
    for (auto& [k, v] : values_) {
      if (k == path) {
        v = std::move(value);
        return *this;
      }
    }
    values_.emplace_back(std::move(path), std::move(value));
    return *this;
  }

  [[nodiscard]] bool has(std::string_view path) const override {
    return find(path) != nullptr || !keys(path).empty();
  }
  [[nodiscard]] std::optional<std::string> string(std::string_view path) const override {
    return get<std::string>(path, "a string");
  }
  [[nodiscard]] std::optional<std::string> text(std::string_view path) const override {
    const Value* v = find(path);
    if (v == nullptr) return std::nullopt;
    if (const auto* s = std::get_if<std::string>(v)) return *s;
    if (const auto* i = std::get_if<std::int64_t>(v)) return std::to_string(*i);
    if (const auto* b = std::get_if<bool>(v)) return std::string(*b ? "true" : "false");
    if (const auto* d = std::get_if<double>(v)) {
      std::string out = std::to_string(*d);
      return out;
    }
    return std::nullopt;
  }
  [[nodiscard]] std::optional<std::int64_t> integer(std::string_view path) const override {
    return get<std::int64_t>(path, "an integer");
  }
  [[nodiscard]] std::optional<double> number(std::string_view path) const override {
    if (const Value* v = find(path); v != nullptr && std::holds_alternative<std::int64_t>(*v)) {
      return static_cast<double>(std::get<std::int64_t>(*v));
    }
    return get<double>(path, "a number");
  }
  [[nodiscard]] std::optional<bool> boolean(std::string_view path) const override {
    return get<bool>(path, "a boolean");
  }
  [[nodiscard]] std::optional<std::chrono::milliseconds> duration(
      std::string_view path) const override {
    if (auto seconds = integer(path)) return std::chrono::seconds{*seconds};
    return std::nullopt;
  }
  [[nodiscard]] std::optional<std::vector<std::string>> strings(
      std::string_view path) const override {
    return get<std::vector<std::string>>(path, "a list of strings");
  }
  [[nodiscard]] std::vector<std::string> keys(std::string_view path) const override {
    std::vector<std::string> out;
    const std::string prefix = std::string(path) + ".";
    for (const auto& [k, v] : values_) {
      if (k.compare(0, prefix.size(), prefix) != 0) continue;
      std::string child = k.substr(prefix.size());
      child = child.substr(0, child.find('.'));
      if (std::find(out.begin(), out.end(), child) == out.end()) out.push_back(child);
    }
    return out;
  }
  [[nodiscard]] sdk::ConfigError error_at(std::string_view path,
                                          const std::string& problem) const override {
    return sdk::ConfigError("test.yaml", 0, 0, std::string(path), problem);
  }

 private:
  [[nodiscard]] const Value* find(std::string_view path) const {
    for (const auto& [k, v] : values_) {
      if (k == path) return &v;
    }
    return nullptr;
  }
  template <typename T>
  std::optional<T> get(std::string_view path, const char* what) const {
    const Value* v = find(path);
    if (v == nullptr) {
      if (!keys(path).empty())
        throw error_at(path, std::string("expected ") + what + ", got a map");
      return std::nullopt;
    }
    if (const T* t = std::get_if<T>(v)) return *t;
    throw error_at(path, std::string("expected ") + what);
  }

  std::vector<std::pair<std::string, Value>> values_;
};

}  // namespace coyote::test
