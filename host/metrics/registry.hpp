// Registry: every metric family the host exposes, and the snapshot a scrape formats.
#pragma once

#include "metrics/family.hpp"
#include "metrics/snapshot.hpp"

#include <coyote/sdk/result.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::metrics {

/// Loop-confined: families, series and collectors are created, updated and snapshot on the
/// host's loop thread, so updates are plain stores (no atomics on the job path). A scrape takes
/// a Snapshot on the loop (a copy of the numbers) and formats it elsewhere.
class Registry {
 public:
  using Clock = Family::Clock;
  using CollectorId = std::uint64_t;

  Registry();
  ~Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  Registry(Registry&&) = delete;
  Registry& operator=(Registry&&) = delete;

  /// Validates and registers a family. Fails on an invalid description or a name already
  /// registered (the error says which).
  [[nodiscard]] sdk::Result<Family*> add(MetricDesc desc);
  /// add() for the host's own families, whose descriptions are constants: throws
  /// std::logic_error on failure (a programming error).
  Family& define(MetricDesc desc);

  [[nodiscard]] Family* find(std::string_view name) noexcept;
  /// Removes a family and its series (handles to them dangle). False when absent.
  bool remove(std::string_view name);
  [[nodiscard]] std::size_t size() const noexcept { return families_.size(); }

  /// `collect` runs on the loop at the start of every snapshot, to refresh gauges computed from
  /// state (queue depths, worker states) instead of being updated on every change.
  CollectorId add_collector(std::function<void()> collect);
  void remove_collector(CollectorId id);

  /// Runs the collectors, then copies every family with at least one series, sorted by name.
  [[nodiscard]] Snapshot snapshot();

  /// The time summaries' windows use; for tests.
  void set_clock(std::function<Clock::time_point()> clock) { clock_ = std::move(clock); }
  [[nodiscard]] Clock::time_point now() const { return clock_ ? clock_() : Clock::now(); }

  /// coyote_metrics_series_refused_total{metric}: label combinations refused by a family's
  /// max_series.
  static constexpr const char* kRefusedName = "coyote_metrics_series_refused_total";

 private:
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;
  std::map<CollectorId, std::function<void()>> collectors_;
  CollectorId next_collector_ = 1;
  std::function<Clock::time_point()> clock_;
  Family* refused_ = nullptr;
};

}  // namespace coyote::host::metrics
