#include "metrics/series.hpp"

#include "metrics/family.hpp"

#include <algorithm>

namespace coyote::host::metrics {

Series::Series(const Family& family, std::vector<std::string> label_values)
    : family_(&family), labels_(std::move(label_values)) {
  const MetricDesc& d = family.desc();
  if (d.type == MetricType::kHistogram) buckets_.assign(d.buckets.size(), 0);
  if (d.type == MetricType::kSummary && !d.objectives.empty()) {
    window_ =
        std::make_unique<QuantileWindow>(d.objectives, d.max_age, d.age_buckets, family.now());
  }
}

void Series::observe(double v) {
  value_ += v;
  ++count_;
  const MetricDesc& d = family_->desc();
  if (d.type == MetricType::kHistogram) {
    // Bucket bounds are inclusive ("le"); a value above every bound only counts in +Inf.
    const auto it = std::lower_bound(d.buckets.begin(), d.buckets.end(), v);
    if (it != d.buckets.end()) ++buckets_[static_cast<std::size_t>(it - d.buckets.begin())];
  } else if (window_) {
    window_->observe(v, family_->now());
  }
}

void Series::load(std::span<const std::uint64_t> per_bucket, std::uint64_t count,
                  double sum) noexcept {
  const std::size_t n = std::min(per_bucket.size(), buckets_.size());
  std::copy_n(per_bucket.begin(), n, buckets_.begin());
  count_ = count;
  value_ = sum;
}

void Series::snapshot_into(double* out, QuantileWindow::Clock::time_point now) {
  switch (family_->desc().type) {
    case MetricType::kCounter:
    case MetricType::kGauge:
      out[0] = value_;
      return;
    case MetricType::kHistogram: {
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < buckets_.size(); ++i) {
        cumulative += buckets_[i];
        out[i] = static_cast<double>(cumulative);
      }
      out[buckets_.size()] = static_cast<double>(count_);
      out[buckets_.size() + 1] = value_;
      return;
    }
    case MetricType::kSummary: {
      const std::size_t k = family_->desc().objectives.size();
      if (window_) window_->quantiles_into(now, out);
      out[k] = value_;
      out[k + 1] = static_cast<double>(count_);
      return;
    }
  }
}

}  // namespace coyote::host::metrics
