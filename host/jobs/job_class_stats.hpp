// JobClassStats: per (pipeline, job name) counts and execution times, for the dashboard's Metrics.
#pragma once

#include "jobs/duration_histogram.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace coyote::host::jobs {

/// Loop thread only, like the engine that owns it. A producer chooses job names freely, so the
/// number of classes is capped: past the cap every new class counts in one overflow entry
/// (kOtherPipeline, kOtherJob) and memory stays bounded whatever names arrive.
class JobClassStats {
 public:
  static constexpr std::size_t kDefaultMaxClasses = 1000;
  static constexpr std::string_view kOtherPipeline = "*";
  static constexpr std::string_view kOtherJob = "(other)";

  struct Entry {
    std::uint64_t processed = 0;  ///< attempts the worker answered with an ack
    std::uint64_t failed = 0;     ///< attempts that ended otherwise (error, nack, requeue, lost)
    double exec_max = 0;          ///< seconds
    DurationHistogram exec;       ///< count() and sum() give the total and the average

    void record(std::chrono::steady_clock::duration elapsed, bool acked) {
      const double seconds = std::chrono::duration<double>(elapsed).count();
      record(seconds, exec.bucket_of(seconds), acked);
    }
    /// `bucket` from bucket_of() of any histogram with the default bounds (the caller's own).
    void record(double seconds, std::size_t bucket, bool acked) {
      exec.observe_at(bucket, seconds);
      if (seconds > exec_max) exec_max = seconds;
      ++(acked ? processed : failed);
    }
  };

  struct Row {
    std::string pipeline;
    std::string job;
    Entry entry;
  };

  explicit JobClassStats(std::size_t max_classes = kDefaultMaxClasses)
      : max_classes_(max_classes) {}

  /// The last class one caller looked up: views into the map's own key (nodes never move nor
  /// go), so a run of jobs of one class costs two string compares instead of a hash lookup.
  struct Memo {
    std::string_view pipeline;
    std::string_view job;
    Entry* entry = nullptr;
  };

  /// The entry of a class, created on first use (or the overflow entry past the cap). The
  /// reference stays valid for the object's life: map nodes do not move.
  Entry& of(std::string_view pipeline, std::string_view job, Memo* memo = nullptr);

  /// Every class (the overflow entry last, when used), unsorted.
  [[nodiscard]] std::vector<Row> rows() const;
  [[nodiscard]] std::size_t size() const noexcept { return classes_.size(); }
  [[nodiscard]] std::size_t max_classes() const noexcept { return max_classes_; }
  /// When counting began (the engine's construction).
  [[nodiscard]] std::chrono::system_clock::time_point since() const noexcept { return since_; }

  /// The q-quantile (0..1) of a histogram in seconds, interpolated inside its bucket as
  /// Prometheus' histogram_quantile does; `max` caps it (and answers above the last bound).
  [[nodiscard]] static double quantile(const DurationHistogram& h, double q, double max);

 private:
  struct Key {
    std::string pipeline;
    std::string job;
  };
  struct KeyView {
    std::string_view pipeline;
    std::string_view job;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(const KeyView& k) const noexcept {
      const std::size_t a = std::hash<std::string_view>{}(k.pipeline);
      const std::size_t b = std::hash<std::string_view>{}(k.job);
      return a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6U) + (a >> 2U));
    }
    std::size_t operator()(const Key& k) const noexcept {
      return (*this)(KeyView{k.pipeline, k.job});
    }
  };
  struct Equal {
    using is_transparent = void;
    static KeyView view(const Key& k) { return {k.pipeline, k.job}; }
    static KeyView view(const KeyView& k) { return k; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const noexcept {
      const KeyView x = view(a);
      const KeyView y = view(b);
      return x.pipeline == y.pipeline && x.job == y.job;
    }
  };

  std::size_t max_classes_;
  std::unordered_map<Key, Entry, Hash, Equal> classes_;
  Entry other_;
  std::chrono::system_clock::time_point since_ = std::chrono::system_clock::now();
};

}  // namespace coyote::host::jobs
