// jobs.Schedules*: the periodic jobs over RPC (Coyote methods; RoadRunner has none).
#pragma once

#include "jobs/unique_keys.hpp"
#include "rpc/method_table.hpp"
#include "schedule/scheduler.hpp"

namespace coyote::host::schedule {

/// JSON codec only (no protobuf schema exists for them). Times are Unix seconds (null: none).
///
///   jobs.SchedulesList    {}                 → {"schedules":[{"name","spec","timezone","zone",
///                                                "pipeline","job","payload","headers","priority",
///                                                "catch_up","overlap","paused","origin",
///                                                "next_fire","last_fire","last_job_id",
///                                                "last_error","fired","skipped","failed"}],
///                                               "unique_keys_held","unique_refused"}
///   jobs.SchedulesAdd     {"name","spec","pipeline","job",...} (the same fields) → {}
///   jobs.SchedulesRemove  {"name":"n"}       → {}
///   jobs.SchedulesPause   {"name":"n"}       → {}
///   jobs.SchedulesResume  {"name":"n"}       → {}
///   jobs.SchedulesTrigger {"name":"n"}       → {"id":"n@manual-1764590000123"}
///
/// `scheduler` and `keys` must outlive the table.
void add_schedule_methods(rpc::MethodTable& table, Scheduler& scheduler,
                          const jobs::UniqueKeys& keys);

}  // namespace coyote::host::schedule
