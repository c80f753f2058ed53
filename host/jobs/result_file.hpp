// ResultFile: the results and progress check-ins kept in the host's durable file,
// jobs.dead_letter.file (table job_results), so they survive a restart of the host.
#pragma once

#include "jobs/dead_letter_file.hpp"
#include "jobs/result_store.hpp"

#include <coyote/sdk/result.hpp>
#include <coyote/sdk/status.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace coyote::host::jobs {

/// Which stored rows to delete in the same transaction: those stamped at or before `cutoff_ms`
/// (Unix ms; a result's stamp is its finish, a check-in's its last update), then the oldest
/// beyond `max_entries` results and beyond `max_entries` check-ins.
struct ResultSweep {
  std::int64_t cutoff_ms = 0;
  std::size_t max_entries = 0;
};

/// Every call goes through the file's writer thread (never blocking the loop) as one
/// transaction; callbacks run on the loop once it is durable (the file's durability: fsync'ed,
/// or with jobs.dead_letter.durability process, in the OS). One row per job id: a result
/// replaces the job's check-in row. The table is created on first use. Loop thread only;
/// `file` must outlive this.
class ResultFile {
 public:
  using Done = std::function<void(sdk::Status)>;
  /// Oldest first.
  using Loaded = std::function<void(sdk::Result<std::vector<JobResult>>)>;

  explicit ResultFile(DeadLetterFile& file) : file_(file) {}

  /// Sweeps, then reads every row left.
  void load(ResultSweep sweep, Loaded done);
  /// Writes the entries (state kRunning: a check-in) in order, then sweeps if asked.
  void put(std::shared_ptr<std::vector<JobResult>> batch, std::optional<ResultSweep> sweep,
           Done done);
  [[nodiscard]] const std::string& path() const noexcept { return file_.path(); }

 private:
  DeadLetterFile& file_;
};

/// Unix ms of a time point (0 for the epoch, "never").
[[nodiscard]] std::int64_t unix_ms(std::chrono::system_clock::time_point t);

}  // namespace coyote::host::jobs
