#include "jobs/dead_letter_settings.hpp"

#include <string>

namespace coyote::host::jobs {
namespace {

// ---- the keys this file reads: jobs.dead_letter ---------------------------------------------

using config::Field;
using config::Kind;
using config::Spec;
namespace spec = config::spec;

constexpr std::string_view kDurabilities[] = {"disk", "process"};
constexpr Spec kDurability{Kind::kString, {}, nullptr, kDurabilities};

constexpr Field kDeadLetterFields[] = {
    {"file", &spec::kString, "— (in memory)",
     "**Coyote**: a SQLite file holding every host-side dead-letter store (the default `dead` "
     "and each `dead_letter:` name that is no pipeline). A dead job is written and fsync'ed "
     "before the failed job is acknowledged at its driver, so dead jobs survive kill -9 and "
     "restarts. Created with mode 0600 if absent; an existing file that is not SQLite, or a "
     "job file of the sqlite driver, is refused at startup. Without it the stores are in memory "
     "and lost when the host stops. Job results and check-ins (`jobs.results`) and the "
     "schedules' last fires are kept in it too"},
    {"durability", &kDurability, "`disk`",
     "**Coyote**: with `file`: `disk` fsyncs every commit (survives power loss); `process` "
     "survives kill -9 of the host but not a power loss or kernel crash"},
    {"max_jobs", &spec::kInteger, "`100000`",
     "**Coyote**: dead jobs kept per store; when full the oldest is evicted (an error log line "
     "names its id)"},
    {"max_age", &spec::kDuration, "`4320h` (180 days)",
     "**Coyote**: older dead jobs are evicted (logged with their ids) when a job is "
     "dead-lettered and at startup; `0` keeps them until `max_jobs` pushes them out"},
};
constexpr Spec kDeadLetter{Kind::kSection, kDeadLetterFields};

// -------------------------------------------------------------------------------------------------

}  // namespace

const config::Spec& dead_letter_keys() { return kDeadLetter; }

DeadLetterSettings DeadLetterSettings::from_config(const sdk::Config& config) {
  DeadLetterSettings s;
  const std::int64_t max_jobs =
      config.integer_or("jobs.dead_letter.max_jobs", static_cast<std::int64_t>(kDefaultMaxJobs));
  if (max_jobs <= 0) {
    throw config.error_at("jobs.dead_letter.max_jobs",
                          "must be a positive number of dead jobs per store (default 100000)");
  }
  s.max_jobs = static_cast<std::size_t>(max_jobs);
  const auto max_age = config.duration_or("jobs.dead_letter.max_age", kDefaultMaxAge);
  if (max_age.count() < 0) {
    throw config.error_at("jobs.dead_letter.max_age",
                          "must be a duration like 720h, or 0 for no age limit (default 4320h)");
  }
  s.max_age = std::chrono::duration_cast<std::chrono::seconds>(max_age);
  s.file = config.string("jobs.dead_letter.file").value_or(std::string());
  const std::string durability =
      config.string("jobs.dead_letter.durability").value_or(std::string("disk"));
  if (durability != "disk" && durability != "process") {
    throw config.error_at("jobs.dead_letter.durability",
                          "must be \"disk\" (fsync every commit) or \"process\" (survives kill "
                          "-9, not a power loss); got \"" +
                              durability + "\"");
  }
  s.process_durability = durability == "process";
  return s;
}

}  // namespace coyote::host::jobs
