// Misbehaving workers (tests/fixtures/workers/misbehave.py): the host survives, the pool
// returns to its size, and the outcome or the log says what happened.
#include "worker/worker_pool.hpp"

#include <catch2/catch.hpp>

#include "unit/worker/worker_test_support.hpp"

using namespace coyote::host::worker;
using namespace coyote::test;
using namespace std::chrono_literals;
using Kind = ExecOutcome::Kind;

namespace {

/// The pool is back to one ready worker whose pid differs from `old_pid`.
bool replaced(boost::asio::io_context& io, WorkerPool& pool, int old_pid) {
  return run_until(io, [&] {
    if (pool.ready_count() != 1 || pool.live_count() != 1) return false;
    return pool.workers().at(0).pid != old_pid;
  });
}

}  // namespace

TEST_CASE("a worker that prints to stdout is replaced with a CRC error quoting the bytes",
          "[worker]") {
  boost::asio::io_context io;
  WorkerPool pool(io, test_pool(), server(misbehave("stdout_print")));
  pool.start();
  auto o = exec_one(io, pool, "x");
  REQUIRE(o);
  CHECK(o->kind == Kind::kWorkerLost);
  CHECK_THAT(o->message, Catch::Contains("validation failed on the message sent to STDOUT"));
  CHECK_THAT(o->message, Catch::Contains("68 65 6c 6c 6f"));  // "hello"
  CHECK(replaced(io, pool, o->pid));
  CHECK(stop_pool(io, pool));
}

TEST_CASE("a worker crashing mid-job loses the job with its exit code and stderr", "[worker]") {
  boost::asio::io_context io;
  WorkerPool pool(io, test_pool(), server(misbehave("crash_on_job")));
  pool.start();
  auto o = exec_one(io, pool, "x");
  REQUIRE(o);
  CHECK(o->kind == Kind::kWorkerLost);
  CHECK_THAT(o->message, Catch::Contains("exited with code 3"));
  CHECK_THAT(o->message, Catch::Contains("crashing on purpose"));
  CHECK(replaced(io, pool, o->pid));
  CHECK(stop_pool(io, pool));
}

TEST_CASE("a worker that never answers the handshake is killed after allocate_timeout",
          "[worker]") {
  boost::asio::io_context io;
  auto config = test_pool();
  config.allocate_timeout = 300ms;
  WorkerPool pool(io, config, server(misbehave("no_handshake")));
  pool.start();
  REQUIRE(run_until(
      io, [&] { return !pool.last_error().empty(); }, 5s));
  CHECK_THAT(pool.last_error(), Catch::Contains("allocate_timeout"));
  CHECK(pool.ready_count() == 0);
  CHECK(stop_pool(io, pool));
}

TEST_CASE("a handshake reply without CONTROL or without a pid is refused", "[worker]") {
  const std::string mode = GENERATE(as<std::string>{}, "no_control", "zero_pid");
  boost::asio::io_context io;
  WorkerPool pool(io, test_pool(), server(misbehave(mode)));
  pool.start();
  REQUIRE(run_until(
      io, [&] { return !pool.last_error().empty(); }, 5s));
  CHECK_THAT(pool.last_error(),
             Catch::Contains(mode == "no_control" ? "no CONTROL flag" : "no positive pid"));
  CHECK(pool.ready_count() == 0);
  CHECK(stop_pool(io, pool));
}

TEST_CASE(
    "a worker exiting during the handshake is reported with its stderr and respawned "
    "with back-off",
    "[worker]") {
  boost::asio::io_context io;
  LogCapture log;
  WorkerPool pool(io, test_pool(), server(misbehave("exit_early")));
  pool.start();
  REQUIRE(run_until(
      io, [&] { return !pool.last_error().empty(); }, 5s));
  CHECK_THAT(pool.last_error(), Catch::Contains("worker exited during handshake"));
  CHECK_THAT(pool.last_error(), Catch::Contains("exited with code 127"));
  CHECK_THAT(pool.last_error(), Catch::Contains("php: command not found"));
  // Respawns keep coming, but the back-off (100 ms, then 200 ms, ...) spaces them out: three
  // attempts take at least 300 ms, where a respawn loop without delay would make hundreds.
  const auto first_failure = std::chrono::steady_clock::now();
  auto attempts = [&] {
    std::size_t n = 0;
    const auto text = log.text();
    for (auto at = text.find("lost: worker exited during handshake"); at != std::string::npos;
         at = text.find("lost: worker exited during handshake", at + 1)) {
      ++n;
    }
    return n;
  };
  REQUIRE(run_until(
      io, [&] { return attempts() >= 3; }, 10s));
  CHECK(std::chrono::steady_clock::now() - first_failure >= 300ms);
  CHECK(stop_pool(io, pool));
}

TEST_CASE("a command that does not exist is reported with its name", "[worker]") {
  boost::asio::io_context io;
  WorkerPool pool(io, test_pool(), server({"/nonexistent/coyote-php", "worker.php"}));
  pool.start();
  REQUIRE(run_until(
      io, [&] { return !pool.last_error().empty(); }, 5s));
  CHECK_THAT(pool.last_error(), Catch::Contains("/nonexistent/coyote-php"));
  CHECK_THAT(pool.last_error(), Catch::Contains("No such file or directory"));
  CHECK(stop_pool(io, pool));
}

TEST_CASE("an oversized reply frame loses the job and replaces the worker", "[worker]") {
  boost::asio::io_context io;
  auto config = test_pool();
  config.max_frame_size = 1024 * 1024;
  WorkerPool pool(io, config, server(misbehave("oversized")));
  pool.start();
  auto o = exec_one(io, pool, "x");
  REQUIRE(o);
  CHECK(o->kind == Kind::kWorkerLost);
  CHECK_THAT(o->message, Catch::Contains("exceeds the limit of 1048576 bytes"));
  CHECK(replaced(io, pool, o->pid));
  CHECK(stop_pool(io, pool));
}

TEST_CASE("exec_ttl kills a worker that runs too long", "[worker]") {
  boost::asio::io_context io;
  auto config = test_pool();
  config.supervisor.enabled = true;
  config.supervisor.exec_ttl = 300ms;
  WorkerPool pool(io, config, server(misbehave("slow")));
  pool.start();
  auto o = exec_one(io, pool, "x");
  REQUIRE(o);
  CHECK(o->kind == Kind::kWorkerLost);
  CHECK_THAT(o->message, Catch::Contains("exec_ttl exceeded"));
  CHECK(replaced(io, pool, o->pid));
  CHECK(stop_pool(io, pool));
}

TEST_CASE("the supervisor recycles a worker above max_worker_memory", "[worker]") {
  boost::asio::io_context io;
  LogCapture log;
  auto config = test_pool();
  config.supervisor.enabled = true;
  config.supervisor.watch_tick = 100ms;
  config.supervisor.max_worker_memory_mb = 50;
  WorkerPool pool(io, config, server(misbehave("leak")));
  pool.start();
  auto o = exec_one(io, pool, "x");
  REQUIRE(o);
  CHECK(o->kind == Kind::kResponse);
  CHECK(replaced(io, pool, o->pid));
  CHECK_THAT(log.text(), Catch::Contains("max_worker_memory 50 MB"));
  CHECK_THAT(log.text(), Catch::Contains("stop received, exiting"));
  CHECK(stop_pool(io, pool));
}

TEST_CASE("the supervisor recycles workers past ttl and idle_ttl", "[worker]") {
  const bool idle = GENERATE(false, true);
  boost::asio::io_context io;
  auto config = test_pool();
  config.supervisor.enabled = true;
  config.supervisor.watch_tick = 100ms;
  if (idle) {
    config.supervisor.idle_ttl = 200ms;
  } else {
    config.supervisor.ttl = 300ms;
  }
  WorkerPool pool(io, config, server(misbehave("ok")));
  pool.start();
  auto o = exec_one(io, pool, "x");
  REQUIRE(o);
  CHECK(replaced(io, pool, o->pid));
  CHECK(stop_pool(io, pool));
}

TEST_CASE("a streamed reply is reported and a reply with two options loses the worker",
          "[worker]") {
  boost::asio::io_context io;
  SECTION("stream bit") {
    WorkerPool pool(io, test_pool(), server(misbehave("stream")));
    pool.start();
    auto o = exec_one(io, pool, "x");
    REQUIRE(o);
    CHECK(o->kind == Kind::kStreamed);
    CHECK(replaced(io, pool, o->pid));
    CHECK(stop_pool(io, pool));
  }
  SECTION("two option words") {
    WorkerPool pool(io, test_pool(), server(misbehave("bad_options")));
    pool.start();
    auto o = exec_one(io, pool, "x");
    REQUIRE(o);
    CHECK(o->kind == Kind::kWorkerLost);
    CHECK_THAT(o->message, Catch::Contains("options length should be equal 1"));
    CHECK(replaced(io, pool, o->pid));
    CHECK(stop_pool(io, pool));
  }
}

TEST_CASE("php with a missing script is reported as a missing worker script", "[worker]") {
  boost::asio::io_context io;
  WorkerPool pool(io, test_pool(), server({"php", "/nonexistent/coyote/worker.php"}));
  pool.start();
  REQUIRE(run_until(
      io, [&] { return !pool.last_error().empty(); }, 5s));
  CHECK_THAT(pool.last_error(), Catch::Contains("the worker script was not found"));
  CHECK_THAT(pool.last_error(), Catch::Contains("/nonexistent/coyote/worker.php"));
  CHECK(stop_pool(io, pool));
}

TEST_CASE("a worker that answers twice settles its job once and never the next one", "[worker]") {
  // Issue 12 item 5: the second answer settled the next job handed to the worker without it
  // running (24 of 50 acked unrun). It now belongs to no job and the worker is replaced first.
  boost::asio::io_context io;
  LogCapture log;
  WorkerPool pool(io, test_pool(), server(misbehave("answer_twice")));
  pool.start();
  auto first = exec_one(io, pool, "a");
  REQUIRE(first);
  CHECK(first->kind == Kind::kResponse);
  // The next job goes to a fresh worker, which runs it (and answers it) itself.
  REQUIRE(replaced(io, pool, first->pid));
  auto second = exec_one(io, pool, "b");
  REQUIRE(second);
  CHECK(second->kind == Kind::kResponse);
  CHECK(second->pid != first->pid);
  CHECK_THAT(log.text(), Catch::Contains("for no job in flight (did it answer twice?)"));
  CHECK(stop_pool(io, pool));
}

TEST_CASE("a worker asking to be restarted on every delivery fails the job after one re-run",
          "[worker]") {
  // Issue 12 item 7: the job was re-run on a fresh worker for ever (643 restarts in 10 s) and
  // never reached the retry policy or the dead-letter store.
  boost::asio::io_context io;
  WorkerPool pool(io, test_pool(), server(misbehave("restart_always")));
  pool.start();
  auto o = exec_one(io, pool, "poison");
  REQUIRE(o);
  CHECK(o->kind == Kind::kWorkerLost);
  CHECK_THAT(o->message, Catch::Contains("asked to be restarted on this job 2 times in a row"));
  CHECK(stop_pool(io, pool));
}

TEST_CASE("a worker that closes its stdout while idle is replaced before it gets a job",
          "[worker]") {
  // Issue 12 item 9: it stayed ready, was handed the next job, and that job never completed.
  boost::asio::io_context io;
  WorkerPool pool(io, test_pool(), server(misbehave("close_stdout")));
  pool.start();
  auto first = exec_one(io, pool, "a");
  REQUIRE(first);
  CHECK(first->kind == Kind::kResponse);
  REQUIRE(replaced(io, pool, first->pid));
  auto second = exec_one(io, pool, "b", R"({"id":"2","job":"t","headers":{},"pipeline":"p"})",
                         std::chrono::seconds(5));
  REQUIRE(second);
  CHECK(second->kind == Kind::kResponse);
  CHECK(stop_pool(io, pool));
}
