#include "worker/pool_set.hpp"
#include "worker/worker_pool.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "unit/worker/worker_test_support.hpp"

using namespace coyote::host::worker;
using namespace coyote::test;
using namespace std::chrono_literals;

TEST_CASE("workers() reports pid, state, exec count, creation time and memory", "[worker]") {
  boost::asio::io_context io;
  auto config = test_pool(2);
  config.name = "fast";
  WorkerPool pool(io, config, server(misbehave("ok")));
  pool.start();
  REQUIRE(run_until(io, [&] { return pool.ready_count() == 2; }));
  REQUIRE(exec_one(io, pool, "x"));
  const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const auto infos = pool.workers();
  REQUIRE(infos.size() == 2);
  std::uint64_t execs = 0;
  for (const auto& w : infos) {
    CHECK(w.pid > 0);
    CHECK(w.status == 1);
    CHECK(w.status_str == "ready");
    CHECK(w.created_ns > now_ns - 60'000'000'000LL);
    CHECK(w.created_ns <= now_ns);
    CHECK(w.memory_usage > 0);
    CHECK(w.pool == "fast");
    CHECK_THAT(w.command, Catch::Contains("misbehave.py ok"));
    execs += w.num_execs;
  }
  CHECK(execs == 1);
  CHECK(stop_pool(io, pool));
}

TEST_CASE("reset replaces every worker and the pool comes back", "[worker]") {
  boost::asio::io_context io;
  WorkerPool pool(io, test_pool(2), server(misbehave("ok")));
  pool.start();
  REQUIRE(run_until(io, [&] { return pool.ready_count() == 2; }));
  std::set<int> before;
  for (const auto& w : pool.workers()) before.insert(w.pid);
  std::optional<coyote::sdk::Status> result;
  pool.reset([&](coyote::sdk::Status outcome) { result = std::move(outcome); });
  CHECK(pool.ready_count() == 0);  // held while resetting
  REQUIRE(run_until(io, [&] { return result.has_value(); }));
  CHECK(result->is_ok());
  CHECK(result->message().empty());
  const auto after = pool.workers();
  REQUIRE(after.size() == 2);
  for (const auto& w : after) CHECK(before.count(w.pid) == 0);
  CHECK(pool.ready_count() == 2);
  CHECK(stop_pool(io, pool));
}

TEST_CASE("reset waits for a busy worker to finish its job", "[worker]") {
  boost::asio::io_context io;
  WorkerPool pool(io, test_pool(), server(python_worker()));
  pool.start();
  REQUIRE(run_until(io, [&] { return pool.ready_count() == 1; }));
  std::optional<ExecOutcome> job;
  REQUIRE(pool.try_exec("{}", R"({"sleep":0.3})", [&](ExecOutcome o) { job = std::move(o); }));
  std::optional<bool> reset_ok;
  pool.reset([&](const coyote::sdk::Status& outcome) { reset_ok = outcome.is_ok(); });
  REQUIRE(run_until(io, [&] { return reset_ok.has_value(); }));
  REQUIRE(job);
  CHECK(job->kind == ExecOutcome::Kind::kResponse);
  CHECK(*reset_ok);
  CHECK(stop_pool(io, pool));
}

TEST_CASE("add_worker and remove_worker change the pool size", "[worker]") {
  boost::asio::io_context io;
  WorkerPool pool(io, test_pool(1), server(misbehave("ok")));
  pool.start();
  REQUIRE(run_until(io, [&] { return pool.ready_count() == 1; }));
  REQUIRE(pool.add_worker());
  CHECK(run_until(io, [&] { return pool.ready_count() == 2; }));
  REQUIRE(pool.remove_worker());
  CHECK(run_until(io, [&] { return pool.live_count() == 1 && pool.ready_count() == 1; }));
  const auto last = pool.remove_worker();
  CHECK_FALSE(last);
  CHECK_THAT(last.message(), Catch::Contains("last worker"));
  CHECK(stop_pool(io, pool));
}

TEST_CASE("a pool set routes by pool name and aggregates workers", "[worker]") {
  boost::asio::io_context io;
  auto a = test_pool(1);
  a.name = "a";
  auto b = test_pool(1);
  b.name = "b";
  PoolSet set(io, {a, b}, server(misbehave("ok")));
  set.start();
  CHECK(set.executor("a") != nullptr);
  CHECK(set.executor("b") != nullptr);
  CHECK(set.executor("") == nullptr);
  CHECK_FALSE(set.has_default());
  REQUIRE(run_until(io, [&] {
    return set.executor("a")->ready_count() == 1 && set.executor("b")->ready_count() == 1;
  }));
  const auto workers = set.workers();
  REQUIRE(workers.size() == 2);
  CHECK(workers[0].pool == "a");
  CHECK(workers[1].pool == "b");
  bool stopped = false;
  set.stop([&] { stopped = true; });
  CHECK(run_until(io, [&] { return stopped; }));
}

TEST_CASE("workers() shows the job a busy worker runs and since when", "[worker]") {
  boost::asio::io_context io;
  WorkerPool pool(io, test_pool(1), server(python_worker()));
  pool.start();
  REQUIRE(run_until(io, [&] { return pool.ready_count() == 1; }));
  CHECK(pool.workers().at(0).job_context.empty());
  const auto before = std::chrono::system_clock::now();
  std::optional<ExecOutcome> job;
  const std::string context = R"({"id":"j-1","job":"Slow","pipeline":"p"})";
  REQUIRE(pool.try_exec(context, R"({"sleep":0.3})", [&](ExecOutcome o) { job = std::move(o); }));
  const auto busy = pool.workers().at(0);
  CHECK(busy.job_context == context);
  const auto before_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(before.time_since_epoch()).count();
  CHECK(busy.job_started_ns >= before_ns - 1'000'000);  // steady→wall mapping rounds
  REQUIRE(run_until(io, [&] { return job.has_value(); }));
  CHECK(pool.workers().at(0).job_context.empty());
  CHECK(pool.workers().at(0).job_started_ns == 0);
  CHECK(stop_pool(io, pool));
}

// After stop_worker(victim): `size` ready workers again, none of them the victim.
static bool replaced(WorkerPool& pool, std::size_t size, int victim) {
  const auto ws = pool.workers();
  return ws.size() == size && pool.ready_count() == size &&
         std::none_of(ws.begin(), ws.end(), [&](const auto& w) { return w.pid == victim; });
}

TEST_CASE("stop_worker replaces an idle worker and keeps the pool's size", "[worker]") {
  boost::asio::io_context io;
  WorkerPool pool(io, test_pool(2), server(misbehave("ok")));
  pool.start();
  REQUIRE(run_until(io, [&] { return pool.ready_count() == 2; }));
  const int victim = pool.workers().at(0).pid;
  REQUIRE(pool.stop_worker(victim, false));
  CHECK(run_until(io, [&] { return replaced(pool, 2, victim); }));
  CHECK(pool.stats().target == 2);
  const auto unknown = pool.stop_worker(999'999'999, false);
  CHECK_FALSE(unknown);
  CHECK_THAT(unknown.message(), Catch::Contains("999999999"));
  CHECK(stop_pool(io, pool));
}

TEST_CASE("stop_worker lets a busy worker finish its job first", "[worker]") {
  boost::asio::io_context io;
  WorkerPool pool(io, test_pool(1), server(python_worker()));
  pool.start();
  REQUIRE(run_until(io, [&] { return pool.ready_count() == 1; }));
  const int victim = pool.workers().at(0).pid;
  std::optional<ExecOutcome> job;
  REQUIRE(pool.try_exec("{}", R"({"sleep":0.3})", [&](ExecOutcome o) { job = std::move(o); }));
  REQUIRE(pool.stop_worker(victim, false));
  REQUIRE(run_until(io, [&] { return job.has_value(); }));
  CHECK(job->kind == ExecOutcome::Kind::kResponse);
  CHECK(run_until(io, [&] { return replaced(pool, 1, victim); }));
  CHECK(stop_pool(io, pool));
}

TEST_CASE("stop_worker with kill ends a busy worker's job as lost and replaces it", "[worker]") {
  boost::asio::io_context io;
  WorkerPool pool(io, test_pool(1), server(python_worker()));
  pool.start();
  REQUIRE(run_until(io, [&] { return pool.ready_count() == 1; }));
  const int victim = pool.workers().at(0).pid;
  std::optional<ExecOutcome> job;
  REQUIRE(pool.try_exec("{}", R"({"sleep":30})", [&](ExecOutcome o) { job = std::move(o); }));
  REQUIRE(pool.stop_worker(victim, true));
  REQUIRE(run_until(io, [&] { return job.has_value(); }));
  // kWorkerLost is what the engine retries or dead-letters: the job is never dropped.
  CHECK(job->kind == ExecOutcome::Kind::kWorkerLost);
  CHECK(run_until(io, [&] { return replaced(pool, 1, victim); }));
  CHECK(stop_pool(io, pool));
}
