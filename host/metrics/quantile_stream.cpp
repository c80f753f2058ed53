#include "metrics/quantile_stream.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace coyote::host::metrics {

namespace {

// Observations wait unsorted in a buffer of this size, then are merged in one pass (as Go).
constexpr std::size_t kBufferCap = 500;

double ratio(double num, double den) noexcept {
  if (den == 0) return num == 0 ? 0 : std::numeric_limits<double>::infinity();
  return num / den;
}

}  // namespace

QuantileStream::QuantileStream(std::vector<Objective> targets) : targets_(std::move(targets)) {
  buffer_.reserve(kBufferCap);
}

// f(r, n): how many ranks of uncertainty a sample at rank r may carry without breaking any
// target's error bound; the tightest target wins.
double QuantileStream::allowed_error(double rank) const {
  double m = std::numeric_limits<double>::max();
  for (const Objective& t : targets_) {
    const double f = t.quantile * n_ <= rank ? ratio(2 * t.error * rank, t.quantile)
                                             : ratio(2 * t.error * (n_ - rank), 1 - t.quantile);
    m = std::min(m, f);
  }
  return m;
}

void QuantileStream::insert(double value) {
  buffer_.push_back(value);
  if (buffer_.size() >= kBufferCap) flush();
}

void QuantileStream::flush() {
  if (buffer_.empty()) return;
  std::sort(buffer_.begin(), buffer_.end());
  merge_sorted(buffer_);
  buffer_.clear();
  compress();
}

void QuantileStream::merge_sorted(const std::vector<double>& sorted) {
  std::vector<Sample> merged;
  merged.reserve(samples_.size() + sorted.size());
  double rank = 0;
  std::size_t i = 0;
  for (const double v : sorted) {
    while (i < samples_.size() && samples_[i].value <= v) {
      rank += samples_[i].width;
      merged.push_back(samples_[i++]);
    }
    // A value past every kept sample is exact (delta 0); one inside may be off by what the
    // invariant allows at its rank.
    const double delta =
        i == samples_.size() ? 0 : std::max(0.0, std::floor(allowed_error(rank)) - 1);
    merged.push_back({v, 1, delta});
    n_ += 1;
    rank += 1;
  }
  while (i < samples_.size()) merged.push_back(samples_[i++]);
  samples_ = std::move(merged);
}

void QuantileStream::compress() {
  if (samples_.size() < 2) return;
  // Walk from the top, folding a sample into its upper neighbour while the pair still fits the
  // error allowed at that rank.
  std::vector<Sample> kept;
  kept.reserve(samples_.size());
  Sample x = samples_.back();
  double rank = n_ - 1 - x.width;
  for (std::size_t k = samples_.size() - 1; k-- > 0;) {
    const Sample& c = samples_[k];
    if (c.width + x.width + x.delta <= allowed_error(rank)) {
      x.width += c.width;
    } else {
      kept.push_back(x);
      x = c;
    }
    rank -= c.width;
  }
  kept.push_back(x);
  std::reverse(kept.begin(), kept.end());
  samples_ = std::move(kept);
}

double QuantileStream::query(double q) {
  if (samples_.empty()) {
    // Fewer observations than one buffer: answer exactly from the buffer.
    if (buffer_.empty()) return std::numeric_limits<double>::quiet_NaN();
    std::sort(buffer_.begin(), buffer_.end());
    auto idx = static_cast<std::size_t>(std::ceil(static_cast<double>(buffer_.size()) * q));
    if (idx > 0) --idx;
    return buffer_[std::min(idx, buffer_.size() - 1)];
  }
  flush();
  double t = std::ceil(q * n_);
  t += std::ceil(allowed_error(t) / 2);
  const Sample* prev = &samples_.front();
  double rank = 0;
  for (std::size_t k = 1; k < samples_.size(); ++k) {
    const Sample& c = samples_[k];
    rank += prev->width;
    if (rank + c.width + c.delta > t) return prev->value;
    prev = &c;
  }
  return prev->value;
}

void QuantileStream::reset() {
  buffer_.clear();
  samples_.clear();
  n_ = 0;
}

std::size_t QuantileStream::count() const noexcept {
  return static_cast<std::size_t>(n_) + buffer_.size();
}

}  // namespace coyote::host::metrics
