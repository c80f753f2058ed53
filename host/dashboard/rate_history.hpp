// RateHistory: the last few minutes of the host's throughput, for the dashboard's live chart.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace coyote::host::dashboard {

/// A ring of counter samples (taken once a second by the Dashboard) turned into per-second
/// rates on demand. Kept in the host so a page opened now still shows the minutes before it;
/// bounded (capacity samples), so it costs the same after a year as after a minute.
/// Loop-confined.
class RateHistory {
 public:
  struct Sample {
    std::int64_t unix_ms = 0;
    std::uint64_t pushed = 0;
    std::uint64_t processed = 0;
    std::uint64_t failed = 0;
  };
  /// Rates between two consecutive samples, stamped with the later one's time.
  struct Point {
    std::int64_t unix_ms = 0;
    double pushed = 0;
    double processed = 0;
    double failed = 0;
  };

  explicit RateHistory(std::size_t capacity = 300);

  /// Appends a sample, dropping the oldest when full. Counters that went backwards (they never
  /// do, but a restart of a source would) count as a zero rate, not a negative one.
  void record(const Sample& sample);

  /// Oldest first: one point per pair of consecutive samples (at most capacity - 1).
  [[nodiscard]] std::vector<Point> points() const;
  /// The newest point (all zero before two samples exist).
  [[nodiscard]] Point latest() const;
  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return ring_.size(); }

 private:
  [[nodiscard]] const Sample& at(std::size_t i) const;  // 0 = oldest
  [[nodiscard]] static Point rate(const Sample& from, const Sample& to);

  std::vector<Sample> ring_;
  std::size_t next_ = 0;
  std::size_t count_ = 0;
};

}  // namespace coyote::host::dashboard
