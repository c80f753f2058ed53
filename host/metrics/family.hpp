// Family: one metric (name, help, type, label names) and its series by label values.
#pragma once

#include "metrics/metric_desc.hpp"
#include "metrics/series.hpp"
#include "metrics/snapshot.hpp"

#include <coyote/sdk/result.hpp>

#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::metrics {

/// Loop-confined (see Registry).
class Family {
 public:
  using Clock = QuantileWindow::Clock;
  /// `on_refused` is called for every refused new series; it returns the counter to add 1 to
  /// (kept, so a flood of refusals costs a lookup only once).
  Family(MetricDesc desc, std::function<Clock::time_point()> clock,
         std::function<Series*(const Family&)> on_refused);

  [[nodiscard]] const MetricDesc& desc() const noexcept { return *desc_; }
  [[nodiscard]] const std::string& name() const noexcept { return desc_->name; }
  [[nodiscard]] MetricType type() const noexcept { return desc_->type; }
  /// The registry's clock (summaries' windows use it).
  [[nodiscard]] Clock::time_point now() const { return clock_ ? clock_() : Clock::now(); }

  /// The series for `label_values` (one per label name, in order), created if new. Fails when
  /// the count is wrong, a value is not UTF-8, or a new series would pass desc().max_series
  /// (the refusal is counted in coyote_metrics_series_refused_total).
  [[nodiscard]] sdk::Result<Series*> with(const std::vector<std::string>& label_values);
  [[nodiscard]] sdk::Result<Series*> with(std::initializer_list<std::string_view> label_values);
  /// The series for a family without labels.
  Series& only();
  /// For the host's own families, whose label values are known to be valid: throws
  /// std::logic_error on a wrong count (a programming error).
  Series& at(std::initializer_list<std::string_view> label_values);

  [[nodiscard]] Series* find(const std::vector<std::string>& label_values);
  bool remove(const std::vector<std::string>& label_values);
  /// Drops every series (for families rebuilt at each collection, such as worker states).
  void clear();
  [[nodiscard]] std::size_t size() const noexcept { return series_.size(); }

  [[nodiscard]] FamilySnapshot snapshot(Clock::time_point now);

 private:
  [[nodiscard]] sdk::Result<Series*> create(std::string key, std::vector<std::string> values);

  std::shared_ptr<const MetricDesc> desc_;
  std::function<Clock::time_point()> clock_;
  std::function<Series*(const Family&)> on_refused_;
  Series* refused_counter_ = nullptr;
  std::map<std::string, std::unique_ptr<Series>> series_;     // key: values joined by '\xff'
  std::shared_ptr<const std::vector<std::string>> rendered_;  // null when series changed
  std::size_t stride_ = 1;
};

/// Typed views on a series, for readable host code. Cheap to copy; valid as long as the series.
class Counter {
 public:
  Counter() = default;
  explicit Counter(Series& s) noexcept : s_(&s) {}
  void inc(double v = 1) const noexcept { s_->add(v); }
  [[nodiscard]] double value() const noexcept { return s_->value(); }

 private:
  Series* s_ = nullptr;
};

class Gauge {
 public:
  Gauge() = default;
  explicit Gauge(Series& s) noexcept : s_(&s) {}
  void set(double v) const noexcept { s_->set(v); }
  void add(double v) const noexcept { s_->add(v); }
  void sub(double v) const noexcept { s_->add(-v); }
  [[nodiscard]] double value() const noexcept { return s_->value(); }

 private:
  Series* s_ = nullptr;
};

/// Histogram or summary.
class Observer {
 public:
  Observer() = default;
  explicit Observer(Series& s) noexcept : s_(&s) {}
  void observe(double v) const { s_->observe(v); }
  [[nodiscard]] std::uint64_t count() const noexcept { return s_->count(); }
  [[nodiscard]] double sum() const noexcept { return s_->value(); }

 private:
  Series* s_ = nullptr;
};

}  // namespace coyote::host::metrics
