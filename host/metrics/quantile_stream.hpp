// QuantileStream: targeted quantile estimation in bounded memory (Cormode, Korn, Muthukrishnan,
// Srivastava, "Effective computation of biased quantiles over data streams", ICDE 2005), the
// algorithm Go's prometheus summaries use, so a quantile's rank error stays within its
// objective's error.
#pragma once

#include "metrics/metric_desc.hpp"

#include <cstddef>
#include <vector>

namespace coyote::host::metrics {

class QuantileStream {
 public:
  explicit QuantileStream(std::vector<Objective> targets);

  void insert(double value);
  /// The estimate for quantile `q` (one of the targets for the error bound to hold); NaN when
  /// nothing was inserted since the last reset.
  [[nodiscard]] double query(double q);
  void reset();
  [[nodiscard]] std::size_t count() const noexcept;
  /// Samples kept after compression (the memory bound under test).
  [[nodiscard]] std::size_t retained() const noexcept { return samples_.size(); }

 private:
  struct Sample {
    double value;
    double width;  // g: ranks covered by this sample
    double delta;  // Δ: rank uncertainty
  };

  [[nodiscard]] double allowed_error(double rank) const;
  void flush();
  void merge_sorted(const std::vector<double>& sorted);
  void compress();

  std::vector<Objective> targets_;
  std::vector<double> buffer_;
  std::vector<Sample> samples_;
  double n_ = 0;  // inserted and merged into samples_
};

}  // namespace coyote::host::metrics
