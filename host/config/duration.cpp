#include "config/duration.hpp"

#include <cmath>
#include <cstdint>
#include <utility>

namespace coyote::host::config {
namespace {

// Unit suffixes in nanoseconds; longer spellings first so "ms" is not read as "m" + "s".
constexpr std::pair<std::string_view, double> kUnits[] = {
    {"ns", 1.0}, {"us", 1e3}, {"\xC2\xB5s", 1e3}, {"\xCE\xBCs", 1e3},
    {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9},
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads "123", "1.5", ".5", "5." at `pos`; false when no digit is present.
bool read_number(std::string_view text, std::size_t& pos, double& out) {
  const std::size_t start = pos;
  bool digits = false;
  double value = 0;
  while (pos < text.size() && is_digit(text[pos])) {
    value = value * 10 + (text[pos] - '0');
    ++pos;
    digits = true;
  }
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    double scale = 0.1;
    while (pos < text.size() && is_digit(text[pos])) {
      value += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      digits = true;
    }
  }
  if (!digits) pos = start;
  out = value;
  return digits;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  if (text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;

  std::size_t pos = 0;
  double number = 0;
  if (!read_number(text, pos, number)) return std::nullopt;
  if (pos == text.size()) {
    if (number > 9.2e9) return std::nullopt;
    // A bare number: seconds, as RoadRunner reads integer timeouts.
    return std::chrono::milliseconds(std::llround(number * 1e9) / 1'000'000);
  }
  double total_ns = 0;
  pos = 0;
  while (pos < text.size()) {
    if (!read_number(text, pos, number)) return std::nullopt;
    bool matched = false;
    for (const auto& [unit, scale] : kUnits) {
      if (text.substr(pos, unit.size()) == unit) {
        total_ns += number * scale;
        pos += unit.size();
        matched = true;
        break;
      }
    }
    if (!matched) return std::nullopt;  // Go requires a unit on every component ("1m30" is bad)
  }
  if (total_ns > 9.2e18) return std::nullopt;
  // Round to whole nanoseconds first so that "0.1s" does not become 99ms through binary fractions.
  return std::chrono::milliseconds(std::llround(total_ns) / 1'000'000);
}

}  // namespace coyote::host::config
