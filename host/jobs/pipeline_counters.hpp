// PipelineCounters: the jobs outcome counters of each pipeline, beside the engine's totals.
#pragma once

#include "jobs/counters.hpp"
#include "jobs/duration_histogram.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace coyote::host::jobs {

/// How a push reached the engine: rr_jobs_requests_total's and rr_jobs_push_latency's `source`.
enum class PushSource : std::uint8_t { kSingle = 0, kBatch = 1 };

/// Pushes of one pipeline from one source: every request, and the time the driver took to
/// complete it (for a batch, each of its jobs observes the batch's time, as RoadRunner does).
struct PushStats {
  std::uint64_t requests = 0;
  DurationHistogram latency{kPushLatencyBounds};
};

/// Loop-confined, plain integers. Entries are created at a pipeline's first count and dropped
/// by forget() when the pipeline is destroyed (a job of it still running may count once more
/// and recreate it: harmless). Consecutive counts mostly concern the same pipeline, so the last
/// one looked up is remembered and costs one string comparison.
class PipelineCounters {
 public:
  struct Entry {
    Counters counters;
    std::array<PushStats, 2> push;  ///< by PushSource
  };

  PipelineCounters() = default;
  ~PipelineCounters() = default;
  // The cached pointer into by_pipeline_ must not be copied along with it.
  PipelineCounters(const PipelineCounters&) = delete;
  PipelineCounters& operator=(const PipelineCounters&) = delete;
  PipelineCounters(PipelineCounters&&) = delete;
  PipelineCounters& operator=(PipelineCounters&&) = delete;

  [[nodiscard]] Counters& of(std::string_view pipeline) { return entry(pipeline).counters; }
  [[nodiscard]] PushStats& push_of(std::string_view pipeline, PushSource source) {
    return entry(pipeline).push[static_cast<std::size_t>(source)];
  }

  /// A copy of `pipeline`'s entry, or all zero when it never counted anything.
  [[nodiscard]] Entry get(std::string_view pipeline) const {
    const auto it = by_pipeline_.find(pipeline);
    return it == by_pipeline_.end() ? Entry{} : it->second;
  }

  void forget(std::string_view pipeline) {
    if (last_name_ == pipeline) last_ = nullptr;
    if (const auto it = by_pipeline_.find(pipeline); it != by_pipeline_.end()) {
      by_pipeline_.erase(it);
    }
  }

 private:
  Entry& entry(std::string_view pipeline) {
    if (last_ != nullptr && last_name_ == pipeline) return *last_;
    auto it = by_pipeline_.find(pipeline);
    if (it == by_pipeline_.end()) it = by_pipeline_.emplace(std::string(pipeline), Entry{}).first;
    last_name_.assign(pipeline);
    last_ = &it->second;
    return *last_;
  }

  std::map<std::string, Entry, std::less<>> by_pipeline_;
  std::string last_name_;
  Entry* last_ = nullptr;
};

}  // namespace coyote::host::jobs
