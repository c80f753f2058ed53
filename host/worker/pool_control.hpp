// PoolControl: introspection and control of worker pools for informer.* and resetter.* RPCs.
#pragma once

#include <coyote/sdk/status.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace coyote::host::worker {

/// One worker as informer.Workers reports it (spec 4.7 ProcessState).
struct WorkerInfo {
  int pid = 0;
  int status = 0;          ///< state code, spec 4.7 (1 ready, 2 working, ...)
  std::string status_str;  ///< "ready", "working", ... ("undefined" for 12)
  std::uint64_t num_execs = 0;
  std::int64_t created_ns = 0;     ///< unix time in nanoseconds
  std::uint64_t memory_usage = 0;  ///< RSS in bytes
  double cpu_percent = 0;
  std::string command;
  std::string pool;  ///< pool name ("" for jobs.pool)
  /// The running job's context JSON (id, job, pipeline, ...; "" when idle) and when it was sent
  /// (unix ns, 0 when idle). Not in informer.Workers: RoadRunner's ProcessState has no such key.
  std::string job_context;
  std::int64_t job_started_ns = 0;
};

/// Threading: event loop thread only.
class PoolControl {
 public:
  virtual ~PoolControl() = default;
  [[nodiscard]] virtual std::vector<WorkerInfo> workers() const = 0;
  using ResetDone = std::function<void(sdk::Status)>;
  /// Replaces every worker without losing queued jobs; `done` when the pool is back (or not).
  virtual void reset(ResetDone done) = 0;
  virtual sdk::Status add_worker() = 0;
  virtual sdk::Status remove_worker() = 0;
};

}  // namespace coyote::host::worker
