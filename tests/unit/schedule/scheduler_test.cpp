// The scheduler over a real engine (memory plugin) with a controllable wall clock, and its last
// fires kept in a real host file (jobs.dead_letter.file) across "restarts".
#include "schedule/scheduler.hpp"
#include "jobs/engine.hpp"
#include "support/map_config.hpp"
#include "support/memory_plugin.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"
#include "unit/jobs/test_executor.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <optional>

using coyote::host::jobs::Engine;
using coyote::host::schedule::CatchUp;
using coyote::host::schedule::Clock;
using coyote::host::schedule::FireLog;
using coyote::host::schedule::Overlap;
using coyote::host::schedule::ScheduleDefinition;
using coyote::host::schedule::Scheduler;
using coyote::host::schedule::ScheduleStatus;
using coyote::sdk::Status;
using coyote::test::MapConfig;
using coyote::test::TempDir;
using coyote::test::TestExecutor;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

MapConfig config_with(const std::string& file) {
  MapConfig c;
  c.set("jobs.consume", std::vector<std::string>{"p"});
  c.set("jobs.pipelines.p.driver", std::string("memory"));
  c.set("jobs.pipelines.p.config.prefetch", std::int64_t{100});
  if (!file.empty()) c.set("jobs.dead_letter.file", file);
  return c;
}

ScheduleDefinition every(std::string spec, std::string name = "s") {
  ScheduleDefinition d;
  d.name = std::move(name);
  d.spec = std::move(spec);
  d.pipeline = "p";
  d.job = "Tick";
  d.payload = "{}";
  return d;
}

Clock::time_point at(double unix_seconds) {
  return Clock::time_point{
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(unix_seconds))};
}

/// One host: engine, optional host file, scheduler; the clock is `now`.
struct Host {
  Host(const std::string& file, std::vector<ScheduleDefinition> schedules, Clock::time_point start)
      : config(config_with(file)), plugin(config), now(start) {
    engine = std::make_unique<Engine>(io, config, plugin.drivers(),
                                      coyote::host::jobs::Pools{{"", &executor}});
    engine->start();
    if (auto* f = engine->host_file()) log = std::make_unique<FireLog>(*f);
    scheduler = std::make_unique<Scheduler>(io, *engine, log.get(), std::move(schedules),
                                            [this] { return now; });
    bool ready = false;
    scheduler->start([&ready] { ready = true; });
    REQUIRE(coyote::test::run_until(io, [&] { return ready; }));
  }
  ~Host() {
    scheduler.reset();
    log.reset();
    engine.reset();
  }
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;
  Host(Host&&) = delete;
  Host& operator=(Host&&) = delete;

  /// Moves the clock and ticks; waits until the fires' records and pushes are done.
  void tick_at(double unix_seconds) {
    now = at(unix_seconds);
    scheduler->tick();
    settle();
  }
  /// Waits until every fire has its record (the host file's writer thread) and its push.
  void settle() {
    REQUIRE(coyote::test::run_until(io, [this] { return scheduler->pending() == 0; }));
  }
  [[nodiscard]] ScheduleStatus status(const std::string& name = "s") const {
    for (const auto& s : scheduler->list()) {
      if (s.definition.name == name) return s;
    }
    FAIL("no schedule " << name);
    return {};
  }
  [[nodiscard]] std::uint64_t pushed() const { return engine->counters().push_ok; }

  MapConfig config;
  coyote::test::MemoryPlugin plugin;
  boost::asio::io_context io;
  TestExecutor executor;
  Clock::time_point now;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<FireLog> log;
  std::unique_ptr<Scheduler> scheduler;
};

std::string job_id_of(const std::string& context) {
  const auto start = context.find("\"id\":\"") + 6;
  return context.substr(start, context.find('"', start) - start);
}

Status run(Host& h, const std::function<void(Scheduler::Done)>& op) {
  std::optional<Status> result;
  op([&result](Status s) { result = std::move(s); });
  REQUIRE(coyote::test::run_until(h.io, [&] { return result.has_value(); }));
  return *result;
}

}  // namespace

TEST_CASE("an @every schedule pushes one job per due time, named by the due time", "[schedule]") {
  Host h({}, {every("@every 10s")}, at(1000.5));
  CHECK(h.status().next_fire == at(1010));
  h.tick_at(1005);
  CHECK(h.pushed() == 0);
  h.tick_at(1010.2);
  CHECK(h.pushed() == 1);
  h.tick_at(1010.9);  // same due time: nothing more
  CHECK(h.pushed() == 1);
  const auto s = h.status();
  CHECK(s.last_fire == at(1010));
  CHECK(s.last_job_id == "s@1010");
  CHECK(s.next_fire == at(1020));
  CHECK(s.fired == 1);
  h.executor.add_workers(1);
  REQUIRE(coyote::test::run_until(h.io, [&] { return !h.executor.calls.empty(); }));
  CHECK(job_id_of(h.executor.calls[0].context) == "s@1010");
  CHECK(h.executor.calls[0].context.find("\"job\":\"Tick\"") != std::string::npos);
}

TEST_CASE("a late tick fires a schedule once, not once per due time it slept through",
          "[schedule]") {
  Host h({}, {every("@every 10s")}, at(1000));
  h.tick_at(1065);
  CHECK(h.pushed() == 1);
  CHECK(h.status().last_job_id == "s@1010");
  CHECK(h.status().next_fire == at(1070));
}

TEST_CASE("overlap skip skips a fire while the previous job is still held", "[schedule]") {
  Host h({}, {every("@every 10s")}, at(1000));
  h.tick_at(1010);
  REQUIRE(h.pushed() == 1);
  h.tick_at(1020);  // s@1010 is still queued (no worker)
  CHECK(h.pushed() == 1);
  CHECK(h.status().skipped == 1);
  CHECK(h.status().last_error.rfind("skipped: duplicate unique key", 0) == 0);
  CHECK(h.scheduler->skipped() == 1);
  // The worker acks s@1010: the key is free, the next fire goes out.
  h.executor.add_workers(1);
  REQUIRE(coyote::test::run_until(h.io, [&] { return !h.executor.calls.empty(); }));
  h.executor.reply(R"({"type":2,"data":[]})");
  h.tick_at(1030);
  CHECK(h.pushed() == 2);
  CHECK(h.status().last_job_id == "s@1030");
  CHECK(h.status().last_error.empty());
}

TEST_CASE("overlap allow pushes while the previous job is still held", "[schedule]") {
  auto d = every("@every 10s");
  d.overlap = Overlap::kAllow;
  Host h({}, {d}, at(1000));
  h.tick_at(1010);
  h.tick_at(1020);
  CHECK(h.pushed() == 2);
  CHECK(h.status().skipped == 0);
}

TEST_CASE("a restart with the host file does not fire a recorded due time again", "[schedule]") {
  TempDir dir;
  const auto file = dir.file("host.db");
  {
    Host first(file, {every("@every 10s")}, at(1000));
    first.tick_at(1010);
    REQUIRE(first.pushed() == 1);
  }
  Host second(file, {every("@every 10s")}, at(1010.5));
  second.tick_at(1010.7);
  CHECK(second.pushed() == 0);
  CHECK(second.status().last_fire == at(1010));
  CHECK(second.status().last_job_id == "s@1010");
  CHECK(second.status().next_fire == at(1020));
  second.tick_at(1020);
  CHECK(second.pushed() == 1);
}

TEST_CASE("catch_up skip drops the due times missed while down; once pushes one job",
          "[schedule]") {
  TempDir dir;
  const auto file = dir.file("host.db");
  auto skip = every("@every 10s", "skip");
  auto once = every("@every 10s", "once");
  once.catch_up = CatchUp::kOnce;
  {
    Host first(file, {skip, once}, at(1000));
    first.tick_at(1010);
    REQUIRE(first.pushed() == 2);
  }
  // Down from 1010 to 1055: 1020..1050 were due.
  Host second(file, {skip, once}, at(1055));
  second.settle();
  CHECK(second.pushed() == 1);
  CHECK(second.status("once").last_job_id == "once@1055");
  CHECK(second.status("skip").last_job_id == "skip@1010");
  CHECK(second.status("skip").skipped == 1);
  CHECK(second.status("skip").next_fire == at(1060));
  CHECK(second.status("once").next_fire == at(1060));
}

TEST_CASE("without a host file a restart starts from the next due time", "[schedule]") {
  auto once = every("@every 10s");
  once.catch_up = CatchUp::kOnce;
  Host h({}, {once}, at(1055));
  h.settle();
  CHECK(h.pushed() == 0);
  CHECK(h.status().next_fire == at(1060));
}

TEST_CASE("schedules are added, paused, resumed, triggered and removed at run time", "[schedule]") {
  TempDir dir;
  const auto file = dir.file("host.db");
  {
    Host h(file, {}, at(1000));
    auto d = every("@every 10s", "rpc");
    d.overlap = Overlap::kAllow;
    REQUIRE(run(h, [&](Scheduler::Done done) { h.scheduler->add(d, std::move(done)); }));
    CHECK(run(h, [&](Scheduler::Done done) { h.scheduler->add(d, std::move(done)); })
              .message()
              .find("exists") != std::string::npos);
    auto bad = every("@every 10s", "bad");
    bad.pipeline = "nope";
    CHECK(run(h, [&](Scheduler::Done done) { h.scheduler->add(bad, std::move(done)); }).message() ==
          "schedule bad: no such pipeline \"nope\"");
    bad.pipeline = "p";
    bad.spec = "* * *";
    CHECK(run(h, [&](Scheduler::Done done) { h.scheduler->add(bad, std::move(done)); })
              .message()
              .find("has 3 fields") != std::string::npos);
    CHECK(h.status("rpc").next_fire == at(1010));
    REQUIRE(run(h, [&](Scheduler::Done done) { h.scheduler->pause("rpc", std::move(done)); }));
    CHECK_FALSE(h.status("rpc").next_fire.has_value());
    h.tick_at(1010);
    CHECK(h.pushed() == 0);
    std::optional<coyote::sdk::Result<std::string>> triggered;
    h.scheduler->trigger("rpc", [&](coyote::sdk::Result<std::string> id) { triggered = id; });
    REQUIRE(coyote::test::run_until(h.io, [&] { return triggered.has_value(); }));
    REQUIRE(*triggered);
    CHECK(**triggered == "rpc@manual-1010000");
    CHECK(h.status("rpc").last_job_id == "rpc@manual-1010000");
  }
  // Added over RPC and paused: both kept in the host file.
  {
    Host h(file, {}, at(1012));
    REQUIRE(h.scheduler->list().size() == 1);
    CHECK(h.status("rpc").definition.paused);
    CHECK_FALSE(h.status("rpc").definition.from_config);
    REQUIRE(run(h, [&](Scheduler::Done done) { h.scheduler->resume("rpc", std::move(done)); }));
    CHECK(h.status("rpc").next_fire == at(1020));
    h.tick_at(1020);
    CHECK(h.pushed() == 1);
    REQUIRE(run(h, [&](Scheduler::Done done) { h.scheduler->remove("rpc", std::move(done)); }));
    CHECK(h.scheduler->list().empty());
    CHECK(run(h, [&](Scheduler::Done done) {
            h.scheduler->remove("rpc", std::move(done));
          }).message() == "no schedule \"rpc\"; schedules: none");
  }
  Host h(file, {}, at(1030));
  CHECK(h.scheduler->list().empty());
}

TEST_CASE("a fire into a missing pipeline is counted as failed with the engine's error",
          "[schedule]") {
  auto d = every("@every 10s");
  d.pipeline = "gone";
  Host h({}, {d}, at(1000));
  h.tick_at(1010);
  CHECK(h.status().failed == 1);
  CHECK(h.status().last_error == "no such pipeline, requested: gone");
  CHECK(h.scheduler->failed() == 1);
}

TEST_CASE("jobs.schedules errors name the key to fix", "[schedule][config]") {
  const auto key_of_error = [](MapConfig c) -> std::string {
    try {
      (void)coyote::host::schedule::schedules_from_config(c);
    } catch (const coyote::sdk::ConfigError& e) {
      return e.key() + ": " + e.problem();
    }
    return "no error";
  };
  MapConfig c;
  c.set("jobs.schedules.n.spec", std::string("0 25 * * *"));
  c.set("jobs.schedules.n.pipeline", std::string("p"));
  c.set("jobs.schedules.n.job", std::string("J"));
  CHECK(key_of_error(c) ==
        "jobs.schedules.n.spec: cron spec \"0 25 * * *\": hour 25 is out of range 0-23");
  c.set("jobs.schedules.n.spec", std::string("0 3 * * *"));
  c.set("jobs.schedules.n.timezone", std::string("Moon/Base"));
  CHECK(key_of_error(c).rfind("jobs.schedules.n.timezone: cron spec \"0 3 * * *\": unknown time "
                              "zone \"Moon/Base\"",
                              0) == 0);
  c.set("jobs.schedules.n.timezone", std::string("Europe/Berlin"));
  c.set("jobs.schedules.n.catch_up", std::string("always"));
  CHECK(key_of_error(c).rfind("jobs.schedules.n.catch_up: must be \"skip\"", 0) == 0);
  c.set("jobs.schedules.n.catch_up", std::string("once"));
  c.set("jobs.schedules.n.overlap", std::string("never"));
  CHECK(key_of_error(c).rfind("jobs.schedules.n.overlap: must be \"skip\"", 0) == 0);
  c.set("jobs.schedules.n.overlap", std::string("allow"));
  const auto parsed = coyote::host::schedule::schedules_from_config(c);
  REQUIRE(parsed.size() == 1);
  CHECK(parsed[0].catch_up == CatchUp::kOnce);
  CHECK(parsed[0].overlap == Overlap::kAllow);
  MapConfig missing;
  missing.set("jobs.schedules.m.spec", std::string("@daily"));
  CHECK(key_of_error(missing) ==
        "jobs.schedules.m: a schedule needs \"pipeline\" (see docs/scheduling.md)");
}
