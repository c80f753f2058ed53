#include "jobs/job_class_stats.hpp"

#include <algorithm>

namespace coyote::host::jobs {

JobClassStats::Entry& JobClassStats::of(std::string_view pipeline, std::string_view job,
                                        Memo* memo) {
  if (memo != nullptr && memo->entry != nullptr && memo->job == job && memo->pipeline == pipeline) {
    return *memo->entry;
  }
  auto it = classes_.find(KeyView{pipeline, job});
  if (it == classes_.end()) {
    if (classes_.size() >= max_classes_) return other_;  // not memoized: its key is no class
    it = classes_.try_emplace(Key{std::string(pipeline), std::string(job)}).first;
  }
  if (memo != nullptr) *memo = Memo{it->first.pipeline, it->first.job, &it->second};
  return it->second;
}

std::vector<JobClassStats::Row> JobClassStats::rows() const {
  std::vector<Row> out;
  out.reserve(classes_.size() + 1);
  for (const auto& [key, entry] : classes_) out.push_back({key.pipeline, key.job, entry});
  if (other_.exec.count() > 0) {
    out.push_back({std::string(kOtherPipeline), std::string(kOtherJob), other_});
  }
  return out;
}

double JobClassStats::quantile(const DurationHistogram& h, double q, double max) {
  const std::uint64_t total = h.count();
  if (total == 0) return 0;
  const double rank = q * static_cast<double>(total);
  const auto bounds = h.bounds();
  const auto buckets = h.buckets();
  double seen = 0;
  double lower = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    const auto in_bucket = static_cast<double>(buckets[i]);
    if (in_bucket > 0 && seen + in_bucket >= rank) {
      const double at = lower + ((bounds[i] - lower) * (rank - seen) / in_bucket);
      return std::min(at, max);
    }
    seen += in_bucket;
    lower = bounds[i];
  }
  return max;  // in the +Inf bucket: the largest value seen is the best answer there is
}

}  // namespace coyote::host::jobs
