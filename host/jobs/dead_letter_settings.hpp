// DeadLetterSettings: the jobs.dead_letter keys — how many dead jobs the host keeps, for how long,
// and whether they are kept in a durable file.
#pragma once

#include "config/key_spec.hpp"

#include <coyote/sdk/config.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace coyote::host::jobs {

/// Where a pipeline without a `dead_letter` key sends the jobs that gave up, so that nothing is
/// dropped on the default config.
inline constexpr std::string_view kDefaultDeadLetterStore = "dead";

struct DeadLetterSettings {
  static constexpr std::size_t kDefaultMaxJobs = 100'000;
  static constexpr std::chrono::seconds kDefaultMaxAge{std::chrono::hours{24 * 180}};

  /// Per store; when full, the oldest dead job is evicted (logged with its id).
  std::size_t max_jobs = kDefaultMaxJobs;
  /// Older dead jobs are evicted (logged); zero keeps them until max_jobs pushes them out.
  std::chrono::seconds max_age = kDefaultMaxAge;
  /// A SQLite file holding every host-side store; empty: the stores are in memory.
  std::string file;
  /// `process`: synchronous=NORMAL (survives kill -9, not a power loss); else FULL.
  bool process_durability = false;

  /// Reads jobs.dead_letter. Throws sdk::ConfigError on a bad value.
  [[nodiscard]] static DeadLetterSettings from_config(const sdk::Config& config);
};

/// The keys of jobs.dead_letter (composed into the .rr.yaml schema by host/cli).
[[nodiscard]] const config::Spec& dead_letter_keys();

}  // namespace coyote::host::jobs
