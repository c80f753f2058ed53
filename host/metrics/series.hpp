// Series: one label combination of a metric family, and its value(s).
#pragma once

#include "metrics/metric_desc.hpp"
#include "metrics/quantile_window.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace coyote::host::metrics {

class Family;

/// Loop-confined like its registry. Stays valid until its family drops it (Family::remove,
/// clear) or the family is removed from the registry.
class Series {
 public:
  Series(const Family& family, std::vector<std::string> label_values);

  /// Counter or gauge: add `v` (the caller checks a counter's `v` is not negative).
  void add(double v) noexcept { value_ += v; }
  /// Gauge.
  void set(double v) noexcept { value_ = v; }
  /// Histogram or summary.
  void observe(double v);
  /// Histogram: replaces the counts with ones kept elsewhere (per bucket, not cumulative, one
  /// per bound of the family), for numbers a component counts itself on its hot path. Extra or
  /// missing buckets are ignored.
  void load(std::span<const std::uint64_t> per_bucket, std::uint64_t count, double sum) noexcept;

  [[nodiscard]] double value() const noexcept { return value_; }  ///< counter/gauge; else sum
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] const std::vector<std::string>& label_values() const noexcept { return labels_; }
  [[nodiscard]] const Family& family() const noexcept { return *family_; }

  /// Writes this series' `stride` numbers (see FamilySnapshot) to `out`.
  void snapshot_into(double* out, QuantileWindow::Clock::time_point now);

 private:
  const Family* family_;
  std::vector<std::string> labels_;
  double value_ = 0;  // counter/gauge value; histogram/summary sum
  std::uint64_t count_ = 0;
  std::vector<std::uint64_t> buckets_;  // histogram: per bound, not cumulative
  std::unique_ptr<QuantileWindow> window_;
};

}  // namespace coyote::host::metrics
