// DurationHistogram: how long something took, counted in fixed buckets with plain integers.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

namespace coyote::host::jobs {

/// Upper bounds in seconds for the time a job waits for a worker and the time a worker takes.
/// Jobs wait from microseconds (an idle pool) to hours (a backlog), and run from a millisecond
/// to exec_ttl, hence the wide range.
inline constexpr std::array<double, 19> kJobDurationBounds = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1,      2.5,   5,      10,    30,   60,    300,  900, 3600};

/// Prometheus' default buckets, which RoadRunner's rr_jobs_push_latency uses.
inline constexpr std::array<double, 11> kPushLatencyBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                              0.5,   1,    2.5,   5,    10};

/// Loop-confined like its owner: observe() is a bucket search and three plain additions, and a
/// scrape copies the whole object (a fixed array: no allocation, since a scrape of a host with a
/// thousand pipelines copies two thousand of them). The metrics side exports it as a Prometheus
/// histogram with bounds() as the `le` buckets.
class DurationHistogram {
 public:
  static constexpr std::size_t kMaxBuckets = kJobDurationBounds.size();

  /// `bounds` must be static (it is kept by reference), increasing, at most kMaxBuckets long.
  explicit DurationHistogram(std::span<const double> bounds = kJobDurationBounds)
      : bounds_(bounds.first(std::min(bounds.size(), kMaxBuckets))) {}

  void observe(std::chrono::steady_clock::duration elapsed) {
    const double seconds = std::chrono::duration<double>(elapsed).count();
    observe_at(bucket_of(seconds), seconds);
  }

  /// The bucket `seconds` falls in: bounds are inclusive ("le"); above the last one, bounds()
  /// .size() (the value then counts only in +Inf). With observe_at, lets two histograms of the
  /// same bounds share one search (the dispatcher's exec times and the job class's: one bucket
  /// search per answered job instead of two).
  [[nodiscard]] std::size_t bucket_of(double seconds) const noexcept {
    return static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), seconds) -
                                    bounds_.begin());
  }
  /// `bucket` from bucket_of() of a histogram with the same bounds.
  void observe_at(std::size_t bucket, double seconds) noexcept {
    if (bucket < bounds_.size()) ++buckets_[bucket];
    ++count_;
    sum_ += seconds;
  }

  [[nodiscard]] std::span<const double> bounds() const noexcept { return bounds_; }
  /// Per bucket, not cumulative; one per bound.
  [[nodiscard]] std::span<const std::uint64_t> buckets() const noexcept {
    return std::span<const std::uint64_t>(buckets_).first(bounds_.size());
  }
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] double sum() const noexcept { return sum_; }

 private:
  std::span<const double> bounds_;
  std::array<std::uint64_t, kMaxBuckets> buckets_{};
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace coyote::host::jobs
