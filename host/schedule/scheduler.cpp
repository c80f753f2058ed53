#include "schedule/scheduler.hpp"

#include "jobs/unique_keys.hpp"
#include "log/log.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace coyote::host::schedule {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

/// The timer never sleeps longer, so a wall-clock step (NTP, a suspended VM) is seen soon.
constexpr seconds kMaxSleep{10};

Seconds floor_seconds(Clock::time_point t) { return std::chrono::floor<seconds>(t); }

std::int64_t millis_of(Clock::time_point t) {
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

/// "<schedule>@<due Unix seconds>": the same due time always gives the same id.
std::string job_id_of(const std::string& name, Clock::time_point due) {
  return name + "@" + std::to_string(floor_seconds(due).time_since_epoch().count());
}

}  // namespace

Scheduler::Scheduler(boost::asio::io_context& io, jobs::JobsService& jobs, FireLog* log,
                     std::vector<ScheduleDefinition> schedules, Now now)
    : jobs_(jobs), log_(log), now_(std::move(now)), logger_(log::get("jobs")), timer_(io) {
  for (auto& d : schedules) {
    Entry e{ScheduleStatus{}, CronSpec::parse(d.spec, d.timezone)};
    e.status.zone = e.spec.zone_name();
    std::string name = d.name;
    e.status.definition = std::move(d);
    entries_.insert_or_assign(std::move(name), std::move(e));
  }
}

Scheduler::~Scheduler() {
  *alive_ = false;
  try {
    stop();
  } catch (const std::exception& e) {
    // A timer that cannot be cancelled is destroyed with the scheduler anyway.
    logger_->warn("schedules: stopping: {}", e.what());
  }
}

void Scheduler::start(std::function<void()> ready) {
  if (started_) return;
  started_ = true;
  if (log_ == nullptr) {
    loaded({});
    if (ready) ready();
    return;
  }
  log_->load([this, alive = alive_,
              ready = std::move(ready)](sdk::Result<std::vector<FireRecord>> records) {
    if (!*alive || stopped_) return;
    if (!records) {
      logger_->error(
          "schedules: cannot read the last fires from {}: {}; starting from the next due times "
          "(a fire recorded there may be repeated once)",
          log_->path(), records.status().message());
      loaded({});
    } else {
      loaded(*records);
    }
    if (ready) ready();
  });
}

void Scheduler::stop() {
  if (stopped_) return;
  stopped_ = true;
  *alive_ = false;
  timer_.cancel();
}

void Scheduler::loaded(const std::vector<FireRecord>& records) {
  const Clock::time_point now = now_();
  for (const auto& r : records) {
    if (!r.definition || entries_.contains(r.name)) continue;
    boost::system::error_code ec;
    auto value = boost::json::parse(*r.definition, ec);
    auto def = ec || !value.is_object()
                   ? sdk::Result<ScheduleDefinition>::failure("not a JSON object")
                   : ScheduleDefinition::from_json(value.get_object());
    if (!def) {
      logger_->error("schedules: schedule {} kept in {} cannot be read ({}); it is not run", r.name,
                     log_ != nullptr ? log_->path() : "", def.status().message());
      continue;
    }
    Entry e{ScheduleStatus{}, CronSpec::parse(def->spec, def->timezone)};
    e.status.zone = e.spec.zone_name();
    e.status.definition = std::move(*def);
    entries_.insert_or_assign(r.name, std::move(e));
  }
  for (const auto& r : records) {
    Entry* e = find(r.name);
    if (e == nullptr) continue;
    e->status.definition.paused = r.paused;
    e->status.last_job_id = r.job_id;
    if (r.due_ms) e->status.last_fire = Clock::time_point{milliseconds{*r.due_ms}};
  }
  for (auto& [name, e] : entries_) {
    if (e.status.last_fire && !e.status.definition.paused) {
      const auto missed = e.spec.next(floor_seconds(*e.status.last_fire));
      if (missed && *missed <= now) {
        if (e.status.definition.catch_up == CatchUp::kOnce) {
          logger_->info("schedule {}: due at {}s (Unix) while the host was down; catch_up: once",
                        name, missed->time_since_epoch().count());
          next_of(e, now);
          fire(e, now, job_id_of(name, now), {});
          continue;
        }
        ++skipped_;
        ++e.status.skipped;
        logger_->info(
            "schedule {}: due at {}s (Unix) while the host was down; skipped (catch_up: skip)",
            name, missed->time_since_epoch().count());
      }
    }
    next_of(e, now);
  }
  arm();
}

Scheduler::Entry* Scheduler::find(const std::string& name) {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

std::string Scheduler::not_found(const std::string& name) const {
  std::string known;
  for (const auto& [n, e] : entries_) known += (known.empty() ? "" : ", ") + n;
  return "no schedule \"" + name + "\"; schedules: " + (known.empty() ? "none" : known);
}

void Scheduler::next_of(Entry& entry, Clock::time_point after) {
  if (entry.status.definition.paused) {
    entry.status.next_fire.reset();
    return;
  }
  const auto next = entry.spec.next(floor_seconds(after));
  if (next) {
    entry.status.next_fire = Clock::time_point{*next};
  } else {
    entry.status.next_fire.reset();
  }
}

void Scheduler::tick() {
  if (stopped_) return;
  const Clock::time_point now = now_();
  for (auto& [name, e] : entries_) {
    if (e.status.definition.paused || !e.status.next_fire || *e.status.next_fire > now) continue;
    const Clock::time_point due = *e.status.next_fire;
    // Computed from now, not from `due`: a late tick fires once, not once per missed time.
    next_of(e, now);
    fire(e, due, job_id_of(name, due), {});
  }
  arm();
}

void Scheduler::arm() {
  if (stopped_) return;
  std::optional<Clock::time_point> earliest;
  for (const auto& [name, e] : entries_) {
    if (e.status.next_fire && (!earliest || *e.status.next_fire < *earliest)) {
      earliest = e.status.next_fire;
    }
  }
  timer_.cancel();
  if (!earliest) return;
  auto wait = std::max(Clock::duration::zero(), *earliest - now_());
  wait = std::min<Clock::duration>(wait, kMaxSleep);
  timer_.expires_after(wait);
  timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    tick();
  });
}

FireRecord Scheduler::record_of(const Entry& entry) {
  FireRecord r;
  const auto& d = entry.status.definition;
  r.name = d.name;
  if (entry.status.last_fire) r.due_ms = millis_of(*entry.status.last_fire);
  r.job_id = entry.status.last_job_id;
  r.paused = d.paused;
  if (!d.from_config) r.definition = boost::json::serialize(d.to_json());
  return r;
}

void Scheduler::persist(const Entry& entry, Done done) {
  if (log_ == nullptr) {
    done(sdk::Status::ok());
    return;
  }
  log_->put(record_of(entry), std::move(done));
}

void Scheduler::fire(Entry& entry, Clock::time_point due, const std::string& job_id,
                     Triggered done) {
  entry.status.last_fire = due;
  const std::string name = entry.status.definition.name;
  if (log_ == nullptr) {
    push(name, job_id, std::move(done));
    return;
  }
  FireRecord record = record_of(entry);
  record.job_id = job_id;
  ++pending_;
  log_->put(std::move(record), [this, alive = alive_, name, job_id,
                                done = std::move(done)](const sdk::Status& status) mutable {
    if (!*alive) return;
    --pending_;
    if (!status) {
      // The job still runs: a lost record can only repeat this fire after a restart.
      logger_->error("schedule {}: the fire of job {} could not be recorded in {}: {}", name,
                     job_id, log_->path(), status.message());
    }
    push(name, job_id, std::move(done));
  });
}

void Scheduler::push(const std::string& name, const std::string& job_id, Triggered done) {
  Entry* entry = find(name);
  if (entry == nullptr || stopped_) {
    if (done) done(sdk::Status::error(not_found(name)));
    return;
  }
  const ScheduleDefinition& d = entry->status.definition;
  sdk::Message m;
  m.id = job_id;
  m.name = d.job;
  m.payload = d.payload;
  m.headers = d.headers;
  m.options.pipeline = d.pipeline;
  m.options.priority = d.priority;
  if (d.overlap == Overlap::kSkip && !jobs::header_value(m.headers, jobs::kUniqueKeyHeader)) {
    m.headers[std::string(jobs::kUniqueKeyHeader)] = {std::string(kScheduleKeyPrefix) + name};
  }
  ++pending_;
  jobs_.push(std::move(m), [this, alive = alive_, name, job_id,
                            done = std::move(done)](const sdk::Status& status) {
    if (!*alive) return;
    --pending_;
    Entry* e = find(name);
    if (status) {
      ++fired_;
      if (e != nullptr) {
        ++e->status.fired;
        e->status.last_job_id = job_id;
        e->status.last_error.clear();
      }
      logger_->debug("schedule {}: pushed job {}", name, job_id);
      if (done) done(job_id);
      return;
    }
    const bool overlap = status.message().rfind(jobs::kDuplicateKeyError, 0) == 0;
    if (overlap) {
      ++skipped_;
      logger_->info("schedule {}: fire {} skipped, the previous job is still held (overlap: skip)",
                    name, job_id);
    } else {
      ++failed_;
      logger_->error("schedule {}: job {} could not be pushed: {}", name, job_id, status.message());
    }
    if (e != nullptr) {
      ++(overlap ? e->status.skipped : e->status.failed);
      e->status.last_error = (overlap ? "skipped: " : "") + status.message();
    }
    if (done) done(status);
  });
}

std::vector<ScheduleStatus> Scheduler::list() const {
  std::vector<ScheduleStatus> out;
  out.reserve(entries_.size());
  for (const auto& [name, e] : entries_) out.push_back(e.status);
  return out;
}

void Scheduler::add(ScheduleDefinition definition, Done done) {
  if (entries_.contains(definition.name)) {
    done(sdk::Status::error("schedule \"" + definition.name +
                            "\" exists; remove it first or pick another name"));
    return;
  }
  const auto pipelines = jobs_.list();
  if (std::find(pipelines.begin(), pipelines.end(), definition.pipeline) == pipelines.end()) {
    done(sdk::Status::error("schedule " + definition.name + ": no such pipeline \"" +
                            definition.pipeline + "\""));
    return;
  }
  std::optional<CronSpec> spec;
  try {
    spec = CronSpec::parse(definition.spec, definition.timezone);
  } catch (const std::invalid_argument& e) {
    done(sdk::Status::error("schedule " + definition.name + ": " + e.what()));
    return;
  }
  definition.from_config = false;
  Entry e{ScheduleStatus{}, std::move(*spec)};
  e.status.zone = e.spec.zone_name();
  const std::string name = definition.name;
  e.status.definition = std::move(definition);
  auto [it, inserted] = entries_.insert_or_assign(name, std::move(e));
  next_of(it->second, now_());
  arm();
  persist(it->second, std::move(done));
}

void Scheduler::remove(const std::string& name, Done done) {
  if (entries_.erase(name) == 0) {
    done(sdk::Status::error(not_found(name)));
    return;
  }
  arm();
  if (log_ == nullptr) {
    done(sdk::Status::ok());
    return;
  }
  log_->remove(name, std::move(done));
}

void Scheduler::pause(const std::string& name, Done done) {
  Entry* e = find(name);
  if (e == nullptr) {
    done(sdk::Status::error(not_found(name)));
    return;
  }
  e->status.definition.paused = true;
  next_of(*e, now_());
  arm();
  persist(*e, std::move(done));
}

void Scheduler::resume(const std::string& name, Done done) {
  Entry* e = find(name);
  if (e == nullptr) {
    done(sdk::Status::error(not_found(name)));
    return;
  }
  // From now: due times that passed while paused are not caught up.
  e->status.definition.paused = false;
  next_of(*e, now_());
  arm();
  persist(*e, std::move(done));
}

void Scheduler::trigger(const std::string& name, Triggered done) {
  if (find(name) == nullptr) {
    done(sdk::Status::error(not_found(name)));
    return;
  }
  // Not a due time: nothing is recorded, the schedule's next fire is unchanged.
  const auto now = now_();
  push(name, name + "@manual-" + std::to_string(millis_of(now)), std::move(done));
}

}  // namespace coyote::host::schedule
