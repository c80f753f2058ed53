#include "config/suggest.hpp"

#include <algorithm>
#include <cctype>

namespace coyote::host::config {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  // Three rows are enough for the adjacent-swap rule, which looks two rows back.
  std::vector<std::size_t> two_back(m + 1);
  std::vector<std::size_t> prev(m + 1);
  std::vector<std::size_t> cur(m + 1);
  for (std::size_t j = 0; j <= m; ++j) prev[j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= m; ++j) {
      const auto ca = std::tolower(static_cast<unsigned char>(a[i - 1]));
      const auto cb = std::tolower(static_cast<unsigned char>(b[j - 1]));
      const std::size_t cost = ca == cb ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && ca == std::tolower(static_cast<unsigned char>(b[j - 2])) &&
          std::tolower(static_cast<unsigned char>(a[i - 2])) == cb) {
        cur[j] = std::min(cur[j], two_back[j - 2] + 1);
      }
    }
    std::swap(two_back, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

std::optional<std::string> closest_match(std::string_view name,
                                         const std::vector<std::string_view>& candidates) {
  const std::size_t limit = name.size() <= 4 ? 1 : name.size() <= 8 ? 2 : name.size() / 4;
  std::optional<std::string> best;
  std::size_t best_distance = limit + 1;
  for (const auto candidate : candidates) {
    const std::size_t d = edit_distance(name, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(candidate);
    }
  }
  return best;
}

}  // namespace coyote::host::config
