// The host's dead-letter stores with and without jobs.dead_letter.file, through a real engine over
// the real memory plugin: the default store, durability across engines, the ack-after-fsync order.
#include "jobs/dead_letter_file.hpp"
#include "jobs/engine.hpp"
#include "log/log.hpp"
#include "support/map_config.hpp"
#include "support/memory_plugin.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"
#include "unit/jobs/test_executor.hpp"

#include <sched.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

using coyote::host::jobs::DeadJob;
using coyote::host::jobs::DeadLetterFile;
using coyote::host::jobs::Engine;
using coyote::host::jobs::StoredDeadJob;
using coyote::host::worker::ExecOutcome;
using coyote::sdk::Status;
using coyote::test::MapConfig;
using coyote::test::TempDir;
using coyote::test::TestExecutor;

namespace {

MapConfig config_with(const std::string& file = {}) {
  MapConfig c;
  c.set("jobs.consume", std::vector<std::string>{"p"});
  c.set("jobs.pipelines.p.driver", std::string("memory"));
  c.set("jobs.pipelines.p.config.prefetch", std::int64_t{100});
  c.set("jobs.pipelines.p.retry.max_attempts", std::int64_t{1});
  if (!file.empty()) c.set("jobs.dead_letter.file", file);
  return c;
}

coyote::sdk::Message job(std::string id) {
  coyote::sdk::Message m;
  m.id = std::move(id);
  m.name = "t";
  m.payload = std::string("pay\0load", 8);
  m.headers["h"] = {"1", "2"};
  m.options.pipeline = "p";
  return m;
}

ExecOutcome lost_worker() {
  ExecOutcome lost;
  lost.kind = ExecOutcome::Kind::kWorkerLost;
  lost.message = "worker exited with signal 9";
  return lost;
}

/// Runs `body` in a forked child (for mounts of its own) and returns its exit code.
int in_child(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int rc = 1;
    try {
      rc = body();
    } catch (...) {
      rc = 99;
    }
    ::_exit(rc);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

constexpr int kSkipped = 77;

#define CHILD_EXPECT(cond, code)                                               \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "child: expected %s (line %d)\n", #cond, __LINE__); \
      return code;                                                             \
    }                                                                          \
  } while (0)

struct Rig {
  explicit Rig(MapConfig c) : config(std::move(c)), plugin(config) {}
  Engine& make() {
    coyote::host::jobs::Pools pools;
    pools.emplace("", &executor);
    engine = std::make_unique<Engine>(io, config, plugin.drivers(), std::move(pools));
    engine->start();
    return *engine;
  }
  /// Pushes `id` and fails its only attempt.
  void kill(const std::string& id) {
    Status pushed = Status::error("not called");
    engine->push(job(id), [&](Status s) { pushed = std::move(s); });
    REQUIRE(coyote::test::run_until(io, [&] { return !pushed.message().empty() || pushed; }));
    REQUIRE(pushed);
    REQUIRE(coyote::test::run_until(io, [&] { return !executor.calls.empty(); }));
    executor.finish(lost_worker());
  }
  std::vector<DeadJob> dead(const std::string& store = "dead") {
    return engine->dead_letters().dead_list(store);
  }
  Status run(const std::function<void(coyote::host::jobs::DeadLetters::Done)>& op) {
    std::optional<Status> result;
    op([&](Status s) { result = std::move(s); });
    REQUIRE(coyote::test::run_until(io, [&] { return result.has_value(); }));
    return *result;
  }
  coyote::sdk::State state(const std::string& name) {
    auto states = engine->stat();
    REQUIRE(states);
    for (const auto& s : *states) {
      if (s.pipeline == name) return s;
    }
    FAIL("no pipeline " + name);
    return {};
  }
  std::int64_t active() { return state("p").active; }
  MapConfig config;
  coyote::test::MemoryPlugin plugin;
  boost::asio::io_context io;
  TestExecutor executor;
  std::unique_ptr<Engine> engine;
};

}  // namespace

TEST_CASE("a pipeline without dead_letter sends jobs that gave up to the default store",
          "[jobs][dead]") {
  Rig rig(config_with());
  Engine& engine = rig.make();
  rig.executor.add_workers(1);
  rig.kill("doomed");
  coyote::test::drain(rig.io);
  auto dead = rig.dead();
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].message.id == "doomed");
  CHECK(dead[0].origin == "p");
  CHECK(engine.counters().jobs_dead == 1);
  CHECK(engine.counters().jobs_dropped == 0);
  CHECK(rig.active() == 0);
  const auto stores = engine.dead_letters().dead_stores();
  CHECK(std::find(stores.begin(), stores.end(), "dead") != stores.end());
}

TEST_CASE("the default store is bounded by max_jobs and max_age, evicting the oldest",
          "[jobs][dead]") {
  SECTION("max_jobs") {
    MapConfig c = config_with();
    c.set("jobs.dead_letter.max_jobs", std::int64_t{2});
    Rig rig(c);
    rig.make();
    rig.executor.add_workers(1);
    for (const char* id : {"a", "b", "c"}) rig.kill(id);
    coyote::test::drain(rig.io);
    auto dead = rig.dead();
    REQUIRE(dead.size() == 2);
    CHECK(dead[0].message.id == "b");
    CHECK(dead[1].message.id == "c");
  }
  SECTION("bad bounds are refused with the key named") {
    MapConfig c = config_with();
    c.set("jobs.dead_letter.max_jobs", std::int64_t{0});
    Rig rig(c);
    CHECK_THROWS_WITH(rig.make(), Catch::Contains("max_jobs"));
  }
}

TEST_CASE(
    "with jobs.dead_letter.file the failed job is acked only after its dead letter is "
    "durable",
    "[jobs][dead]") {
  TempDir dir;
  Rig rig(config_with(dir.file("dead.db")));
  rig.make();
  rig.executor.add_workers(1);
  rig.kill("doomed");
  // The dead letter is on its way to the writer thread; nothing posted back has run yet.
  CHECK(rig.dead().empty());
  CHECK(rig.active() == 1);  // still held (unacknowledged) by its driver
  REQUIRE(coyote::test::run_until(rig.io, [&] { return !rig.dead().empty(); }));
  CHECK(rig.active() == 0);
  CHECK(rig.engine->counters().jobs_dead == 1);
}

TEST_CASE("a graceful drain waits for a dead letter being written, then its ack", "[jobs][dead]") {
  TempDir dir;
  Rig rig(config_with(dir.file("dead.db")));
  rig.make();
  rig.executor.add_workers(1);
  rig.kill("doomed");
  CHECK(rig.engine->in_flight() == 1);  // not at a worker any more, not acked yet
  std::optional<coyote::host::jobs::DrainReport> report;
  rig.engine->drain(std::chrono::seconds{10},
                    [&](const coyote::host::jobs::DrainReport& r) { report = r; });
  REQUIRE(coyote::test::run_until(rig.io, [&] { return report.has_value(); }));
  CHECK(report->finished == 1);
  CHECK(report->abandoned == 0);
  CHECK(rig.dead().size() == 1);
  CHECK(rig.active() == 0);
}

TEST_CASE("durable dead jobs survive the engine; replay and delete remove them from the file",
          "[jobs][dead]") {
  TempDir dir;
  const std::string file = dir.file("dead.db");
  {
    Rig rig(config_with(file));
    rig.make();
    rig.executor.add_workers(1);
    rig.kill("one");
    rig.kill("two");
    REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.dead().size() == 2; }));
  }
  {
    Rig rig(config_with(file));
    rig.make();
    auto dead = rig.dead();
    REQUIRE(dead.size() == 2);
    CHECK(dead[0].message.id == "one");
    CHECK(dead[1].message.id == "two");
    CHECK(dead[0].message.payload == std::string("pay\0load", 8));
    CHECK(dead[0].message.headers.at("h") == std::vector<std::string>{"1", "2"});
    CHECK(dead[0].message.headers.at("X-Coyote-Origin-Pipeline") == std::vector<std::string>{"p"});
    CHECK(dead[0].origin == "p");
    CHECK(dead[0].attempts == 1);
    CHECK_THAT(dead[0].last_error, Catch::Contains("signal 9"));
    rig.executor.add_workers(1);
    REQUIRE(rig.run([&](auto d) { rig.engine->dead_letters().dead_replay("dead", "one", d); }));
    REQUIRE(coyote::test::run_until(rig.io, [&] { return !rig.executor.calls.empty(); }));
    CHECK(rig.executor.calls[0].context.find("\"one\"") != std::string::npos);
    REQUIRE(rig.run([&](auto d) { rig.engine->dead_letters().dead_delete("dead", "two", d); }));
    CHECK(rig.dead().empty());
    auto again = rig.run([&](auto d) { rig.engine->dead_letters().dead_delete("dead", "two", d); });
    CHECK_FALSE(again);
  }
  Rig rig(config_with(file));
  rig.make();
  CHECK(rig.dead().empty());
}

TEST_CASE("a durable store evicts the oldest dead job from the file as well", "[jobs][dead]") {
  TempDir dir;
  MapConfig c = config_with(dir.file("dead.db"));
  c.set("jobs.dead_letter.max_jobs", std::int64_t{1});
  {
    Rig rig(c);
    rig.make();
    rig.executor.add_workers(1);
    rig.kill("old");
    REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.dead().size() == 1; }));
    rig.kill("new");
    REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.engine->counters().jobs_dead == 2; }));
  }
  Rig rig(c);
  rig.make();
  auto dead = rig.dead();
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].message.id == "new");
}

TEST_CASE("a dead-letter file that is not ours is refused at startup with its name",
          "[jobs][dead]") {
  TempDir dir;
  const std::string file = dir.file("rr.db");
  SECTION("not SQLite (a bbolt file, say): untouched") {
    {
      std::ofstream out(file, std::ios::binary);
      out << std::string(4096, '\x42');
    }
    Rig rig(config_with(file));
    CHECK_THROWS_WITH(rig.make(), Catch::Contains(file) && Catch::Contains("jobs.dead_letter"));
    CHECK(std::filesystem::file_size(file) == 4096);
  }
  SECTION("a job file of the sqlite driver") {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db,
                         "CREATE TABLE coyote_meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
                         "CREATE TABLE jobs(seq INTEGER PRIMARY KEY);",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    Rig rig(config_with(file));
    CHECK_THROWS_WITH(rig.make(), Catch::Contains("job file of the sqlite driver"));
  }
}

TEST_CASE("a dead-letter file held by another store is refused with its name", "[jobs][dead]") {
  TempDir dir;
  const std::string file = dir.file("dead.db");
  boost::asio::io_context io;
  std::vector<StoredDeadJob> loaded;
  DeadLetterFile store(io, file, false, coyote::host::log::get("jobs"), loaded);
  CHECK(loaded.empty());
  DeadJob dead;
  dead.message.id = "x";
  dead.origin = "p";
  std::optional<Status> first;
  store.put("dead", dead, [&](Status s) { first = std::move(s); });
  REQUIRE(coyote::test::run_until(io, [&] { return first.has_value(); }));
  CHECK(*first);
  // A second process may not share it: the writer holds the file's lock.
  std::vector<StoredDeadJob> other;
  CHECK_THROWS_WITH(DeadLetterFile(io, file, false, coyote::host::log::get("jobs"), other),
                    Catch::Contains(file));
}

TEST_CASE("a dead letter the file cannot take leaves the job with its driver, until space is back",
          "[jobs][dead]") {
  TempDir dir;
  const int rc = in_child([&] {
    const auto small = dir.path() / "small";
    std::filesystem::create_directory(small);
    if (::geteuid() != 0 || ::unshare(CLONE_NEWNS) != 0 ||
        ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=2m") != 0) {
      return kSkipped;
    }
    Rig rig(config_with((small / "dead.db").string()));
    rig.make();
    rig.executor.add_workers(1);
    {
      // Every free byte goes to something else: the dead letter's commit gets ENOSPC.
      std::FILE* ballast = std::fopen((small / "ballast").c_str(), "wb");
      CHILD_EXPECT(ballast != nullptr, 2);
      const std::string chunk(4096, 'b');
      while (std::fwrite(chunk.data(), 1, chunk.size(), ballast) == chunk.size()) {
      }
      std::fclose(ballast);
    }
    rig.kill("x");
    CHILD_EXPECT(coyote::test::run_until(rig.io, [&] { return !rig.state("dead").error.empty(); }),
                 3);
    coyote::test::drain(rig.io);
    CHILD_EXPECT(rig.state("dead").error.find("full") != std::string::npos, 4);
    CHILD_EXPECT(rig.dead().empty(), 5);
    CHILD_EXPECT(rig.engine->counters().jobs_dead == 0, 6);
    // Handed back to its driver (waiting there to be delivered again), not acked.
    const auto held = rig.state("p");
    std::fprintf(stderr, "child: p active %lld delayed %lld\n", static_cast<long long>(held.active),
                 static_cast<long long>(held.delayed));
    CHILD_EXPECT(held.delayed == 1, 7);
    std::filesystem::remove(small / "ballast");
    // Delivered again after ResponseHandler::kBuryRetryDelay; this time its dead letter holds.
    CHILD_EXPECT(coyote::test::run_until(
                     rig.io, [&] { return !rig.executor.calls.empty(); }, std::chrono::seconds{30}),
                 8);
    rig.executor.finish(lost_worker());
    CHILD_EXPECT(coyote::test::run_until(
                     rig.io, [&] { return rig.dead().size() == 1; }, std::chrono::seconds{30}),
                 9);
    CHILD_EXPECT(rig.active() == 0, 10);
    CHILD_EXPECT(rig.state("dead").error.empty(), 11);
    return 0;
  });
  if (rc == kSkipped) {
    WARN("skipped: cannot mount a small tmpfs here (needs root)");
    return;
  }
  CHECK(rc == 0);
}
