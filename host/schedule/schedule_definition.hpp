// ScheduleDefinition: one periodic job as a user wrote it (jobs.schedules.<name> or over RPC).
#pragma once

#include "config/key_spec.hpp"

#include <coyote/sdk/config.hpp>
#include <coyote/sdk/headers.hpp>
#include <coyote/sdk/result.hpp>

#include <boost/json/object.hpp>

#include <span>
#include <string>
#include <vector>

namespace coyote::host::schedule {

/// What happens to due times that passed while the host was down (known from the last fire
/// recorded in jobs.dead_letter.file).
enum class CatchUp {
  kSkip,  ///< the default: they are dropped (logged); the next fire is the next due time
  kOnce,  ///< one job is pushed at startup for all of them together
};

/// What happens when a due time comes and the previous fire's job is still held.
enum class Overlap {
  kSkip,   ///< the default: the fire is skipped (counted) while that job is queued or running
  kAllow,  ///< it is pushed anyway
};

struct ScheduleDefinition {
  std::string name;
  std::string spec;      ///< CronSpec text
  std::string timezone;  ///< "" = UTC, unless the spec has CRON_TZ=
  std::string pipeline;
  std::string job;  ///< the job name workers see ("job" in the context)
  std::string payload;
  sdk::Headers headers;
  std::int64_t priority = 0;  ///< 0: the pipeline's
  CatchUp catch_up = CatchUp::kSkip;
  Overlap overlap = Overlap::kSkip;
  bool paused = false;
  bool from_config = true;  ///< false: added over RPC (kept in the host file, if any)

  /// The same as JSON ({"name","spec","pipeline",...}), for RPC and the host file.
  [[nodiscard]] boost::json::object to_json() const;
  /// Reads to_json()'s shape; "name", "spec", "pipeline" and "job" are required. The error
  /// names the field and the fix (a bad spec or zone included).
  static sdk::Result<ScheduleDefinition> from_json(const boost::json::object& object);
};

/// The jobs.schedules.<name> keys (a kNamed map), for rr_schema.
[[nodiscard]] const config::Spec& schedules_keys();

/// Every jobs.schedules entry, each spec and zone checked. Throws sdk::ConfigError naming the
/// file, line and key of the first bad value.
[[nodiscard]] std::vector<ScheduleDefinition> schedules_from_config(const sdk::Config& config);

}  // namespace coyote::host::schedule
