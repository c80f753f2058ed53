#include "metrics/quantile_window.hpp"

namespace coyote::host::metrics {

QuantileWindow::QuantileWindow(std::vector<Objective> objectives, std::chrono::seconds max_age,
                               unsigned age_buckets, Clock::time_point now)
    : objectives_(std::move(objectives)),
      step_(std::chrono::duration_cast<Clock::duration>(max_age) /
            (age_buckets == 0 ? 1 : age_buckets)),
      head_expires_(now + step_) {
  streams_.assign(age_buckets == 0 ? 1 : age_buckets, QuantileStream(objectives_));
}

void QuantileWindow::rotate(Clock::time_point now) {
  // After a long quiet spell every stream is stale: clear them all at once, not step by step.
  if (now - head_expires_ >= step_ * static_cast<long>(streams_.size())) {
    for (auto& s : streams_) s.reset();
    const auto steps = (now - head_expires_) / step_ + 1;
    head_expires_ += step_ * steps;
    return;
  }
  while (now >= head_expires_) {
    streams_[head_].reset();
    head_ = (head_ + 1) % streams_.size();
    head_expires_ += step_;
  }
}

void QuantileWindow::observe(double value, Clock::time_point now) {
  rotate(now);
  for (auto& s : streams_) s.insert(value);
}

void QuantileWindow::quantiles_into(Clock::time_point now, double* out) {
  rotate(now);
  for (std::size_t i = 0; i < objectives_.size(); ++i) {
    out[i] = streams_[head_].query(objectives_[i].quantile);
  }
}

std::vector<double> QuantileWindow::quantiles(Clock::time_point now) {
  std::vector<double> out(objectives_.size());
  quantiles_into(now, out.data());
  return out;
}

}  // namespace coyote::host::metrics
