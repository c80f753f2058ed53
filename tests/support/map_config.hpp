// MapConfig: an sdk::Config over a flat map of dotted keys, for unit tests that need no YAML.
#pragma once

#include "config/duration.hpp"

#include <coyote/sdk/config.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace coyote::test {

/// Reads like the host's ConfigDocument: a string value is a scalar as written, so "10" reads as
/// an integer, "true" as a boolean and "5s" as a duration; an integer value reads as a duration
/// in seconds. A key with children counts as present (a map). Errors are ConfigErrors located in
/// "test.yaml" without a position.
class MapConfig final : public sdk::Config {
 public:
  using Value = std::variant<std::string, std::int64_t, bool, double, std::vector<std::string>>;

  MapConfig() = default;
  MapConfig(std::initializer_list<std::pair<std::string, Value>> values) {
    for (const auto& [path, value] : values) set(path, value);
  }

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
    auto v = text(path);
    if (!v && find(path) != nullptr) throw error_at(path, "expected a string, got a list");
    if (!v && !keys(path).empty()) throw error_at(path, "expected a string, got a map");
    return v;
  }
  [[nodiscard]] std::optional<std::string> text(std::string_view path) const override {
    const Value* v = find(path);
    if (v == nullptr) return std::nullopt;
    if (const auto* s = std::get_if<std::string>(v)) return *s;
    if (const auto* i = std::get_if<std::int64_t>(v)) return std::to_string(*i);
    if (const auto* b = std::get_if<bool>(v)) return std::string(*b ? "true" : "false");
    if (const auto* d = std::get_if<double>(v)) return std::to_string(*d);
    return std::nullopt;
  }
  [[nodiscard]] std::optional<std::int64_t> integer(std::string_view path) const override {
    const Value* v = scalar(path, "an integer");
    if (v == nullptr) return std::nullopt;
    if (const auto* i = std::get_if<std::int64_t>(v)) return *i;
    if (const auto* s = std::get_if<std::string>(v)) {
      std::int64_t out = 0;
      const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
      if (!s->empty() && ec == std::errc{} && end == s->data() + s->size()) return out;
    }
    throw error_at(path, "expected an integer like 10, got \"" + *text(path) + "\"");
  }
  [[nodiscard]] std::optional<double> number(std::string_view path) const override {
    const Value* v = scalar(path, "a number");
    if (v == nullptr) return std::nullopt;
    if (const auto* d = std::get_if<double>(v)) return *d;
    if (const auto* i = std::get_if<std::int64_t>(v)) return static_cast<double>(*i);
    if (const auto* s = std::get_if<std::string>(v)) {
      double out = 0;
      const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
      if (!s->empty() && ec == std::errc{} && end == s->data() + s->size()) return out;
    }
    throw error_at(path, "expected a number like 1.5, got \"" + *text(path) + "\"");
  }
  [[nodiscard]] std::optional<bool> boolean(std::string_view path) const override {
    const Value* v = scalar(path, "a boolean");
    if (v == nullptr) return std::nullopt;
    if (const auto* b = std::get_if<bool>(v)) return *b;
    const auto t = text(path);
    if (t == "true") return true;
    if (t == "false") return false;
    throw error_at(path, "expected true or false, got \"" + t.value_or("") + "\"");
  }
  [[nodiscard]] std::optional<std::chrono::milliseconds> duration(
      std::string_view path) const override {
    const Value* v = scalar(path, "a duration");
    if (v == nullptr) return std::nullopt;
    if (const auto* i = std::get_if<std::int64_t>(v)) return std::chrono::seconds{*i};
    if (const auto* s = std::get_if<std::string>(v)) {
      if (auto d = host::config::parse_duration(*s)) return *d;
    }
    throw error_at(path,
                   "expected a duration like \"60s\", got \"" + text(path).value_or("") + "\"");
  }
  [[nodiscard]] std::optional<std::vector<std::string>> strings(
      std::string_view path) const override {
    const Value* v = find(path);
    if (v == nullptr) {
      if (!keys(path).empty()) throw error_at(path, "expected a list of strings, got a map");
      return std::nullopt;
    }
    if (const auto* list = std::get_if<std::vector<std::string>>(v)) return *list;
    return std::vector<std::string>{*text(path)};
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
  /// The value at `path` when it is a scalar, nullptr when absent; throws for a list or a map.
  [[nodiscard]] const Value* scalar(std::string_view path, const char* what) const {
    const Value* v = find(path);
    if (v == nullptr) {
      if (!keys(path).empty())
        throw error_at(path, std::string("expected ") + what + ", got a map");
      return nullptr;
    }
    if (std::holds_alternative<std::vector<std::string>>(*v)) {
      throw error_at(path, std::string("expected ") + what + ", got a list");
    }
    return v;
  }

  std::vector<std::pair<std::string, Value>> values_;
};

}  // namespace coyote::test
