// QuantileWindow: a summary's quantiles over a sliding time window (Go's MaxAge/AgeBuckets).
#pragma once

#include "metrics/quantile_stream.hpp"

#include <chrono>
#include <vector>

namespace coyote::host::metrics {

/// `age_buckets` streams each see every observation; the oldest (the head) answers queries and
/// is cleared every max_age/age_buckets, so answers cover between (1 - 1/age_buckets) * max_age
/// and max_age of recent observations.
class QuantileWindow {
 public:
  using Clock = std::chrono::steady_clock;

  QuantileWindow(std::vector<Objective> objectives, std::chrono::seconds max_age,
                 unsigned age_buckets, Clock::time_point now);

  void observe(double value, Clock::time_point now);
  /// One estimate per objective, in the objectives' order; NaN for an empty window.
  [[nodiscard]] std::vector<double> quantiles(Clock::time_point now);
  void quantiles_into(Clock::time_point now, double* out);

 private:
  void rotate(Clock::time_point now);

  std::vector<Objective> objectives_;
  std::vector<QuantileStream> streams_;
  std::size_t head_ = 0;
  Clock::duration step_;
  Clock::time_point head_expires_;
};

}  // namespace coyote::host::metrics
