// Scheduler: pushes each periodic job once per due time (jobs.schedules, or added over RPC).
#pragma once

#include "jobs/jobs_service.hpp"
#include "schedule/cron_spec.hpp"
#include "schedule/fire_log.hpp"
#include "schedule/schedule_definition.hpp"

#include <coyote/sdk/result.hpp>
#include <coyote/sdk/status.hpp>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace coyote::host::schedule {

/// The header every fire of an `overlap: skip` schedule carries (unless its own headers set
/// one): the engine's unique keys then refuse the next fire while this one's job is held.
inline constexpr std::string_view kScheduleKeyPrefix = "coyote-schedule/";

/// One schedule as jobs.SchedulesList shows it.
struct ScheduleStatus {
  ScheduleDefinition definition;
  std::string zone;                            ///< the zone the spec is read in ("" for @every)
  std::optional<Clock::time_point> next_fire;  ///< none while paused or when never due again
  std::optional<Clock::time_point> last_fire;  ///< the due time of the last fire
  std::string last_job_id;
  std::string last_error;     ///< the last fire's failure ("" when it worked)
  std::uint64_t fired = 0;    ///< jobs pushed since start
  std::uint64_t skipped = 0;  ///< fires skipped since start (overlap, or missed while down)
  std::uint64_t failed = 0;   ///< fires whose push failed since start
};

/// Fires happen on the loop: a timer sleeps until the earliest next due time (at most 10 s, so a
/// wall-clock step is noticed), then tick() pushes every schedule that is due. A tick that comes
/// late (a suspended machine, a stepped clock) fires each due schedule once, not once per due
/// time it slept through.
///
/// Exactly once per due time: the due time is recorded in the FireLog (durable) before the job
/// is pushed, so a restart never fires it again; a crash between the record and the push loses
/// that one fire (at most once, never twice). Without a FireLog nothing is remembered: a
/// restart starts from the next due time after it. Due times missed while down follow the
/// schedule's CatchUp; a fire while the previous job is held follows its Overlap.
///
/// Loop thread only. `jobs` (the engine) and `log` (when given) must outlive the scheduler.
class Scheduler {
 public:
  using Now = std::function<Clock::time_point()>;
  using Done = std::function<void(sdk::Status)>;
  /// Called with the pushed job's id, or the error.
  using Triggered = std::function<void(sdk::Result<std::string>)>;

  Scheduler(boost::asio::io_context& io, jobs::JobsService& jobs, FireLog* log,
            std::vector<ScheduleDefinition> schedules, Now now = &Clock::now);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;
  Scheduler(Scheduler&&) = delete;
  Scheduler& operator=(Scheduler&&) = delete;

  /// Reads the FireLog (if any), applies catch-up, then arms the timer. `ready` (optional)
  /// runs once schedules are live.
  void start(std::function<void()> ready = {});
  void stop();

  /// Pushes every schedule due at now(); re-arms the timer. Public so tests drive the clock.
  void tick();

  [[nodiscard]] std::vector<ScheduleStatus> list() const;
  /// Adds a schedule (kept in the FireLog when there is one); a taken name is an error.
  void add(ScheduleDefinition definition, Done done);
  void remove(const std::string& name, Done done);
  void pause(const std::string& name, Done done);
  void resume(const std::string& name, Done done);
  /// Pushes one job now, outside the due times (its overlap policy still applies).
  void trigger(const std::string& name, Triggered done);

  /// Since start, all schedules together (metrics).
  [[nodiscard]] std::uint64_t fired() const noexcept { return fired_; }
  [[nodiscard]] std::uint64_t skipped() const noexcept { return skipped_; }
  [[nodiscard]] std::uint64_t failed() const noexcept { return failed_; }
  /// Fires waiting for their record or their push's answer (tests wait for 0).
  [[nodiscard]] std::size_t pending() const noexcept { return pending_; }

 private:
  struct Entry {
    ScheduleStatus status;
    CronSpec spec;
  };

  [[nodiscard]] Entry* find(const std::string& name);
  [[nodiscard]] std::string not_found(const std::string& name) const;
  /// Records the fire (when durable), then pushes; `due` names the job.
  void fire(Entry& entry, Clock::time_point due, const std::string& job_id, Triggered done);
  void push(const std::string& name, const std::string& job_id, Triggered done);
  static void next_of(Entry& entry, Clock::time_point after);
  void arm();
  [[nodiscard]] static FireRecord record_of(const Entry& entry);
  void persist(const Entry& entry, Done done);
  void loaded(const std::vector<FireRecord>& records);

  jobs::JobsService& jobs_;
  FireLog* log_;
  Now now_;
  std::shared_ptr<spdlog::logger> logger_;
  std::map<std::string, Entry, std::less<>> entries_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::uint64_t fired_ = 0;
  std::uint64_t skipped_ = 0;
  std::uint64_t failed_ = 0;
  std::size_t pending_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace coyote::host::schedule
