#include "status/jobs_health.hpp"

namespace coyote::host::status {

std::optional<ReadyRule> parse_ready_rule(std::string_view text) noexcept {
  if (text == "workers") return ReadyRule::kWorkers;
  if (text == "idle_worker") return ReadyRule::kIdleWorker;
  if (text == "workers_and_drivers") return ReadyRule::kWorkersAndDrivers;
  return std::nullopt;
}

std::string_view to_string(ReadyRule rule) noexcept {
  switch (rule) {
    case ReadyRule::kWorkers:
      return "workers";
    case ReadyRule::kIdleWorker:
      return "idle_worker";
    case ReadyRule::kWorkersAndDrivers:
      return "workers_and_drivers";
  }
  return "workers";
}

namespace {

Check unavailable(std::string message) { return Check{503, std::move(message), false}; }

// Every pool that must make progress has a live worker.
Check live_workers(const JobsHealth& jobs) {
  std::string problems;
  for (const auto& p : jobs.pools) {
    if (!p.serves_consumed || p.configured == 0) continue;
    if (p.idle + p.busy == 0) {
      if (!problems.empty()) problems += "; ";
      problems += "pool " + p.name + ": 0 of " + std::to_string(p.configured) + " workers alive";
    }
  }
  if (!problems.empty()) return unavailable(problems);
  return {};
}

}  // namespace

Check jobs_status(const JobsHealth& jobs) { return live_workers(jobs); }

Check jobs_ready(const JobsHealth& jobs, ReadyRule rule) {
  switch (rule) {
    case ReadyRule::kWorkers:
      return live_workers(jobs);
    case ReadyRule::kIdleWorker: {
      std::size_t idle = 0;
      for (const auto& p : jobs.pools) idle += p.idle;
      if (idle == 0) return unavailable("no idle worker (status.ready_rule: idle_worker)");
      return {};
    }
    case ReadyRule::kWorkersAndDrivers: {
      Check c = live_workers(jobs);
      std::string problems = c.message;
      for (const auto& p : jobs.pipelines) {
        if (p.error.empty()) continue;
        if (!problems.empty()) problems += "; ";
        problems += "pipeline " + p.name + ": " + p.error;
      }
      if (!problems.empty()) return unavailable(problems);
      return {};
    }
  }
  return {};
}

}  // namespace coyote::host::status
