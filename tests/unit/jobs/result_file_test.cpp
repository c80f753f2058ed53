// Results kept in the host file (jobs.dead_letter.file, table job_results): what survives a
// restart, when a result becomes visible, and how the stored rows stay bounded.
#include "jobs/dead_letter_file.hpp"
#include "jobs/engine.hpp"
#include "jobs/result_store.hpp"
#include "log/log.hpp"
#include "support/fake_job.hpp"
#include "support/map_config.hpp"
#include "support/memory_plugin.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"
#include "unit/jobs/test_executor.hpp"

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using coyote::host::jobs::DeadLetterFile;
using coyote::host::jobs::JobResult;
using coyote::host::jobs::ResultSettings;
using coyote::host::jobs::ResultStore;
using coyote::host::jobs::StoredDeadJob;
using coyote::test::FakeJob;
using coyote::test::run_until;
using coyote::test::TempDir;
using namespace std::chrono_literals;

namespace {

/// One run of the host: its file and its result store over it.
struct Host {
  boost::asio::io_context io;
  std::vector<StoredDeadJob> dead;
  std::unique_ptr<DeadLetterFile> file;
  std::unique_ptr<ResultStore> store;

  explicit Host(const std::string& path, ResultSettings settings = {}) {
    file = std::make_unique<DeadLetterFile>(io, path, false, coyote::host::log::get("jobs"), dead);
    store = std::make_unique<ResultStore>(io, settings, file.get());
    REQUIRE(run_until(io, [&] { return store->loaded(); }));
  }
  ~Host() {
    store.reset();  // hands its last batch to the writer, which writes it before it stops
    file.reset();
  }
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;
  Host(Host&&) = delete;
  Host& operator=(Host&&) = delete;

  void settle() {
    REQUIRE(run_until(io, [&] { return store->unwritten() == 0; }));
  }
  JobResult get(const std::string& id) {
    std::optional<JobResult> got;
    store->fetch(id, 0ms, [&](const JobResult& r) { got = r; });
    REQUIRE(got);
    return *got;
  }
};

std::int64_t rows_in(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM job_results", -1, &stmt, nullptr) ==
          SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  const std::int64_t n = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

void exec(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

}  // namespace

TEST_CASE("with the host file, results, failures and the last check-in survive a restart",
          "[results][durable]") {
  TempDir dir;
  const std::string path = dir.file("host.db");
  {
    Host h(path);
    FakeJob ok("j1", 10, "emails");
    FakeJob bad("j2", 10, "emails");
    REQUIRE(h.store->progress("j1", "half way"));
    h.store->record(ok, true, R"({"sent":3})", {}, 1);
    h.store->record(bad, false, {}, "failed by the worker: boom", 3);
    REQUIRE(h.store->progress("j3", "step 2 of 5"));
    h.settle();
    CHECK(h.get("j1").state == JobResult::State::kSucceeded);
  }
  Host again(path);
  const JobResult ok = again.get("j1");
  CHECK(ok.state == JobResult::State::kSucceeded);
  CHECK(ok.result == R"({"sent":3})");
  CHECK(ok.pipeline == "emails");
  CHECK(ok.progress == "half way");
  CHECK(ok.attempts == 1);
  CHECK(ok.finished != std::chrono::system_clock::time_point{});
  const JobResult bad = again.get("j2");
  CHECK(bad.state == JobResult::State::kFailed);
  CHECK(bad.error == "failed by the worker: boom");
  CHECK(bad.attempts == 3);
  const JobResult running = again.get("j3");
  CHECK(running.state == JobResult::State::kRunning);
  CHECK(running.progress == "step 2 of 5");
  CHECK(again.store->size() == 2);
}

TEST_CASE("with the host file a result is visible once its write is durable, and wakes waiters",
          "[results][durable]") {
  TempDir dir;
  Host h(dir.file("host.db"));
  FakeJob job("j", 10, "p");
  std::optional<JobResult> waited;
  h.store->fetch("j", 5s, [&](const JobResult& r) { waited = r; });
  h.store->record(job, true, "42", {}, 1);
  // Not written yet: the producer still sees a job that has not finished.
  CHECK(h.get("j").state == JobResult::State::kRunning);
  CHECK(h.store->unwritten() == 1);
  REQUIRE(run_until(h.io, [&] { return waited.has_value(); }));
  CHECK(waited->state == JobResult::State::kSucceeded);
  CHECK(waited->result == "42");
  CHECK(h.store->unwritten() == 0);
}

TEST_CASE("a result finished before a restart answers a long poll started before the load",
          "[results][durable]") {
  TempDir dir;
  const std::string path = dir.file("host.db");
  {
    Host h(path);
    FakeJob job("j", 10, "p");
    h.store->record(job, true, R"("done")", {}, 2);
    h.settle();
  }
  boost::asio::io_context io;
  std::vector<StoredDeadJob> dead;
  DeadLetterFile file(io, path, false, coyote::host::log::get("jobs"), dead);
  ResultStore store(io, ResultSettings{}, &file);
  std::optional<JobResult> waited;
  store.fetch("j", 5s, [&](const JobResult& r) { waited = r; });
  REQUIRE(run_until(io, [&] { return waited.has_value(); }));
  CHECK(waited->state == JobResult::State::kSucceeded);
  CHECK(waited->result == R"("done")");
  CHECK(waited->attempts == 2);
}

TEST_CASE("stored results past the ttl are deleted from the file, by a later write or the load",
          "[results][durable]") {
  TempDir dir;
  const std::string path = dir.file("host.db");
  ResultSettings settings;
  settings.ttl = 10min;
  auto now = std::chrono::system_clock::now();
  {
    Host h(path, settings);
    h.store->set_clock([&] { return now; });
    FakeJob old_job("old", 10, "p");
    h.store->record(old_job, true, "1", {}, 1);
    h.settle();
    now += 11min;  // past the ttl and the sweep interval
    FakeJob new_job("new", 10, "p");
    h.store->record(new_job, true, "2", {}, 1);
    h.settle();
    CHECK(h.get("old").state == JobResult::State::kUnknown);
  }
  CHECK(rows_in(path) == 1);
  {
    Host h(path, settings);  // within the ttl by the real clock
    CHECK(h.get("new").state == JobResult::State::kSucceeded);
  }
  // As if the host had been down for an hour: the load deletes what expired meanwhile.
  exec(path, "UPDATE job_results SET stamp_ms = stamp_ms - 3600000");
  {
    Host h(path, settings);
    CHECK(h.get("new").state == JobResult::State::kUnknown);
  }
  CHECK(rows_in(path) == 0);
}

TEST_CASE("stored results beyond max_entries are evicted from the file, oldest first",
          "[results][durable]") {
  TempDir dir;
  const std::string path = dir.file("host.db");
  ResultSettings settings;
  settings.max_entries = 3;
  {
    Host h(path, settings);
    auto now = std::chrono::system_clock::now() + 2min;  // the first write sweeps
    h.store->set_clock([&] { return now; });
    for (int i = 1; i <= 5; ++i) {
      FakeJob job("j" + std::to_string(i), 10, "p");
      h.store->record(job, true, std::to_string(i), {}, 1);
      now += 1ms;
    }
    h.settle();
    CHECK(h.store->size() == 3);
  }
  CHECK(rows_in(path) == 3);
  Host again(path, settings);
  CHECK(again.get("j1").state == JobResult::State::kUnknown);
  CHECK(again.get("j2").state == JobResult::State::kUnknown);
  CHECK(again.get("j3").result == "3");
  CHECK(again.get("j5").result == "5");
}

TEST_CASE("a results table the host cannot read is reported naming jobs.dead_letter.file",
          "[results][durable]") {
  TempDir dir;
  const std::string path = dir.file("host.db");
  { Host h(path); }
  exec(path, "DROP TABLE IF EXISTS job_results; CREATE TABLE job_results(x)");
  Host h(path);
  CHECK_THAT(h.store->file_error(), Catch::Contains("jobs.dead_letter.file") &&
                                        Catch::Contains(path) && Catch::Contains("job_results"));
  // Results still work, in memory only.
  FakeJob job("j", 10, "p");
  h.store->record(job, true, "7", {}, 1);
  h.settle();
  CHECK(h.get("j").result == "7");
  // Only the results table's statements were rolled back: the file itself is healthy, so the
  // dead letters and schedule fires that share its transactions still commit.
  CHECK(h.file->fault().empty());
  std::optional<coyote::sdk::Status> put;
  coyote::host::jobs::DeadJob dead_job;
  dead_job.message.id = "d1";
  dead_job.origin = "p";
  h.file->put("dead", dead_job, [&](coyote::sdk::Status s) { put = std::move(s); });
  FakeJob other("j2", 10, "p");
  h.store->record(other, false, {}, "boom", 1);
  REQUIRE(run_until(h.io, [&] { return put.has_value() && h.store->unwritten() == 0; }));
  CHECK(put->message() == "");
}

TEST_CASE("a corrupt host file stops the engine with an error naming jobs.dead_letter.file",
          "[results][durable]") {
  TempDir dir;
  const std::string path = dir.file("host.db");
  {
    std::ofstream out(path, std::ios::binary);
    out << std::string(8192, 'x');
  }
  coyote::test::MapConfig config;
  config.set("jobs.consume", std::vector<std::string>{"p"});
  config.set("jobs.pipelines.p.driver", std::string("memory"));
  config.set("jobs.dead_letter.file", path);
  config.set("jobs.results.ttl", std::string("1h"));
  coyote::test::MemoryPlugin plugin(config);
  boost::asio::io_context io;
  coyote::test::TestExecutor executor;
  coyote::host::jobs::Pools pools;
  pools.emplace("", &executor);
  CHECK_THROWS_WITH(coyote::host::jobs::Engine(io, config, plugin.drivers(), pools),
                    Catch::Contains("jobs.dead_letter.file"));
}

TEST_CASE("through the engine, a dead-lettered job's failure result is durable before its ack",
          "[results][durable]") {
  TempDir dir;
  const std::string path = dir.file("host.db");
  coyote::test::MapConfig config;
  config.set("jobs.consume", std::vector<std::string>{"p"});
  config.set("jobs.pipelines.p.driver", std::string("memory"));
  config.set("jobs.pipelines.p.retry.max_attempts", std::int64_t{1});
  config.set("jobs.dead_letter.file", path);
  config.set("jobs.results.ttl", std::string("1h"));
  coyote::test::MemoryPlugin plugin(config);
  auto make = [&](boost::asio::io_context& io, coyote::test::TestExecutor& executor) {
    coyote::host::jobs::Pools pools;
    pools.emplace("", &executor);
    auto engine = std::make_unique<coyote::host::jobs::Engine>(io, config, plugin.drivers(), pools);
    engine->start();
    executor.add_workers(1);
    return engine;
  };
  {
    boost::asio::io_context io;
    coyote::test::TestExecutor executor;
    auto engine = make(io, executor);
    coyote::sdk::Message m;
    m.id = "doomed";
    m.name = "t";
    m.options.pipeline = "p";
    std::optional<coyote::sdk::Status> pushed;
    engine->push(m, [&](coyote::sdk::Status s) { pushed = std::move(s); });
    REQUIRE(run_until(io, [&] { return pushed.has_value(); }));
    REQUIRE(pushed->message() == "");
    REQUIRE(run_until(io, [&] { return !executor.calls.empty(); }));
    coyote::host::worker::ExecOutcome lost;
    lost.kind = coyote::host::worker::ExecOutcome::Kind::kWorkerLost;
    lost.message = "worker exited with signal 9";
    executor.finish(lost);
    REQUIRE(run_until(io, [&] { return engine->dead_letters().dead_list("dead").size() == 1; }));
    // The dead letter is held, so the result submitted before it is too.
    CHECK(engine->results()->unwritten() == 0);
    engine->stop();
  }
  boost::asio::io_context io;
  coyote::test::TestExecutor executor;
  auto engine = make(io, executor);
  REQUIRE(run_until(io, [&] { return engine->results()->loaded(); }));
  std::optional<JobResult> got;
  engine->results()->fetch("doomed", 0ms, [&](const JobResult& r) { got = r; });
  REQUIRE(got);
  CHECK(got->state == JobResult::State::kFailed);
  CHECK_THAT(got->error, Catch::Contains("worker lost"));
  CHECK(got->attempts == 1);
  engine->stop();
}
