#include "redis/duration_text.hpp"

#include <cmath>
#include <cstdlib>
#include <string>

namespace coyote::drivers::redis {

std::optional<std::chrono::milliseconds> parse_duration_text(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const std::string s(text);
  const char* p = s.c_str();
  const char* const end = p + s.size();
  double total_ms = 0;
  bool bare = true;
  while (p < end) {
    // Only digits and one dot: strtod alone would also take "0x1p3", "inf" or "1e3".
    const char* number_end = p;
    int dots = 0;
    while (number_end < end && ((*number_end >= '0' && *number_end <= '9') || *number_end == '.')) {
      if (*number_end == '.') ++dots;
      ++number_end;
    }
    if (number_end == p || dots > 1) return std::nullopt;
    const double value = std::strtod(std::string(p, number_end).c_str(), nullptr);
    p = number_end;
    const char* unit_start = p;
    while (p < end &&
           ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '\xc2' || *p == '\xb5')) {
      ++p;
    }
    const std::string_view unit(unit_start, static_cast<std::size_t>(p - unit_start));
    double scale = 0;
    if (unit.empty()) {
      // A bare number is seconds, and only on its own ("30"), as the host reads it.
      if (p != end || !bare) return std::nullopt;
      scale = 1000;
    } else if (unit == "h") {
      scale = 3'600'000;
    } else if (unit == "m") {
      scale = 60'000;
    } else if (unit == "s") {
      scale = 1000;
    } else if (unit == "ms") {
      scale = 1;
    } else if (unit == "us" || unit == "\xc2\xb5s") {
      scale = 0.001;
    } else if (unit == "ns") {
      scale = 0.000001;
    } else {
      return std::nullopt;
    }
    bare = false;
    total_ms += value * scale;
  }
  if (!std::isfinite(total_ms) || total_ms < 0 || total_ms > 1e15) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(total_ms)));
}

}  // namespace coyote::drivers::redis
