#include "dashboard/rate_history.hpp"

#include <algorithm>

namespace coyote::host::dashboard {

RateHistory::RateHistory(std::size_t capacity) : ring_(std::max<std::size_t>(capacity, 2)) {}

void RateHistory::record(const Sample& sample) {
  ring_[next_] = sample;
  next_ = (next_ + 1) % ring_.size();
  count_ = std::min(count_ + 1, ring_.size());
}

const RateHistory::Sample& RateHistory::at(std::size_t i) const {
  const std::size_t oldest = (next_ + ring_.size() - count_) % ring_.size();
  return ring_[(oldest + i) % ring_.size()];
}

RateHistory::Point RateHistory::rate(const Sample& from, const Sample& to) {
  Point p;
  p.unix_ms = to.unix_ms;
  const double seconds = static_cast<double>(to.unix_ms - from.unix_ms) / 1000.0;
  if (seconds <= 0) return p;
  const auto per_second = [seconds](std::uint64_t a, std::uint64_t b) {
    return b > a ? static_cast<double>(b - a) / seconds : 0.0;
  };
  p.pushed = per_second(from.pushed, to.pushed);
  p.processed = per_second(from.processed, to.processed);
  p.failed = per_second(from.failed, to.failed);
  return p;
}

std::vector<RateHistory::Point> RateHistory::points() const {
  std::vector<Point> out;
  if (count_ < 2) return out;
  out.reserve(count_ - 1);
  for (std::size_t i = 1; i < count_; ++i) out.push_back(rate(at(i - 1), at(i)));
  return out;
}

RateHistory::Point RateHistory::latest() const {
  if (count_ < 2) return {};
  return rate(at(count_ - 2), at(count_ - 1));
}

}  // namespace coyote::host::dashboard
