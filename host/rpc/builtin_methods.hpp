// The RoadRunner-compatible method set: jobs.*, informer.*, resetter.*, rpc.Version
// (spec 4.4, 4.7).
#pragma once

#include "rpc/method_table.hpp"

#include <string>

namespace coyote::host::jobs {
class JobsService;
}
namespace coyote::host::worker {
class PoolControl;
}

namespace coyote::host::rpc {

/// jobs.Push/PushBatch/Pause/Resume/List/Declare/Destroy/Stat over proto and JSON. Service errors
/// are passed through verbatim. `jobs` must outlive the table.
void add_jobs_methods(MethodTable& table, jobs::JobsService& jobs);

/// informer.List/Workers/Jobs/AddWorker/RemoveWorker (JSON codec). `pools` may be null (no
/// worker pool: "jobs" then has no workers and Add/RemoveWorker fail).
void add_informer_methods(MethodTable& table, jobs::JobsService& jobs, worker::PoolControl* pools);

/// resetter.List/Reset (JSON codec). Reset("jobs") answers true once the pool is back.
void add_resetter_methods(MethodTable& table, worker::PoolControl* pools);

/// rpc.Version (JSON codec) → `version` as a JSON string.
void add_rpc_methods(MethodTable& table, std::string version);

/// All of the above: the table a `coyote serve` starts with.
[[nodiscard]] MethodTable default_methods(jobs::JobsService& jobs, worker::PoolControl* pools,
                                          std::string version);

/// The version string rpc.Version reports by default.
[[nodiscard]] std::string coyote_version();

}  // namespace coyote::host::rpc
