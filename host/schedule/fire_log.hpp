// FireLog: each schedule's last fire (and the schedules added over RPC) in the host's durable
// file, jobs.dead_letter.file, so a restart neither fires a due time twice nor forgets one.
#pragma once

#include "jobs/dead_letter_file.hpp"

#include <coyote/sdk/result.hpp>
#include <coyote/sdk/status.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace coyote::host::schedule {

/// One row of table schedule_fires.
struct FireRecord {
  std::string name;
  std::optional<std::int64_t> due_ms;  ///< the last due time fired (Unix ms), none yet
  std::string job_id;                  ///< the job that fire pushed
  bool paused = false;
  std::optional<std::string> definition;  ///< JSON of a schedule added over RPC
};

/// Every call goes through the file's writer thread (never blocking the loop); callbacks run on
/// the loop once the transaction is durable. The table is created on first use, so a file
/// written by an older Coyote simply gains it. Loop thread only; `file` must outlive this.
class FireLog {
 public:
  using Done = std::function<void(sdk::Status)>;
  using Loaded = std::function<void(sdk::Result<std::vector<FireRecord>>)>;

  explicit FireLog(jobs::DeadLetterFile& file) : file_(file) {}

  void load(Loaded done);
  void put(FireRecord record, Done done);
  void remove(std::string name, Done done);
  [[nodiscard]] const std::string& path() const noexcept { return file_.path(); }

 private:
  jobs::DeadLetterFile& file_;
};

}  // namespace coyote::host::schedule
