#include "jobs/engine.hpp"
#include "support/map_config.hpp"
#include "support/memory_plugin.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"
#include "unit/jobs/test_executor.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>

using coyote::host::jobs::Engine;
using coyote::host::worker::ExecOutcome;
using coyote::sdk::Status;
using coyote::test::MapConfig;
using coyote::test::TestExecutor;

namespace {

MapConfig make_config() {
  MapConfig c;
  c.set("jobs.consume", std::vector<std::string>{"p"});
  c.set("jobs.pipelines.p.driver", std::string("memory"));
  c.set("jobs.pipelines.p.config.priority", std::int64_t{10});
  c.set("jobs.pipelines.p.config.prefetch", std::int64_t{100});
  c.set("jobs.pipelines.idle.driver", std::string("memory"));
  c.set("jobs.pipelines.idle.priority", std::int64_t{3});
  return c;
}

coyote::sdk::Message job(std::string id, std::string pipeline = "p", std::int64_t priority = 0) {
  coyote::sdk::Message m;
  m.id = std::move(id);
  m.name = "t";
  m.payload = "hi";
  m.options.pipeline = std::move(pipeline);
  m.options.priority = priority;
  return m;
}

Status push(Engine& engine, coyote::sdk::Message m) {
  Status result = Status::error("done not called");
  engine.push(std::move(m), [&](Status s) { result = std::move(s); });
  return result;
}

/// Runs a dead-letter operation whose completion the memory driver gives synchronously.
template <typename Op>
Status now(Op op) {
  Status result = Status::error("done not called");
  op([&](Status s) { result = std::move(s); });
  return result;
}

/// The context without the trace context the dispatcher adds to a job pushed without one
/// (trace_context_test and engine_stats_test check that header).
std::string untraced(const std::string& context) {
  static const std::regex kTraceparent(R"("Traceparent":\["[^"]*"\],?)");
  return std::regex_replace(context, kTraceparent, "");
}

std::string id_in(const std::string& context) {
  auto start = context.find("\"id\":\"") + 6;
  return context.substr(start, context.find('"', start) - start);
}

const coyote::sdk::State* find_state(const std::vector<coyote::sdk::State>& states,
                                     const std::string& name) {
  for (const auto& s : states) {
    if (s.pipeline == name) return &s;
  }
  return nullptr;
}

coyote::sdk::State state_of(Engine& engine, const std::string& name) {
  const auto states = engine.stat();
  REQUIRE(states);
  const auto* s = find_state(*states, name);
  REQUIRE(s != nullptr);
  return *s;
}

/// Everything an engine test needs, in destruction-safe order.
struct Rig {
  explicit Rig(MapConfig c = make_config()) : config(std::move(c)), plugin(config) {}
  Engine& make(coyote::host::jobs::Pools pools = {}) {
    if (pools.empty()) pools.emplace("", &executor);
    engine = std::make_unique<Engine>(io, config, plugin.drivers(), std::move(pools));
    engine->start();
    return *engine;
  }
  MapConfig config;
  coyote::test::MemoryPlugin plugin;
  boost::asio::io_context io;
  TestExecutor executor;
  std::unique_ptr<Engine> engine;
};

}  // namespace

TEST_CASE("engine builds every configured pipeline and starts only those in jobs.consume",
          "[jobs]") {
  Rig rig;
  Engine& engine = rig.make();
  auto names = engine.list();
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"idle", "p"});
  auto p = state_of(engine, "p");
  CHECK(p.ready);
  CHECK(p.driver == "memory");
  CHECK(p.queue == "p");
  CHECK(p.priority == 10);
  auto idle = state_of(engine, "idle");
  CHECK_FALSE(idle.ready);
  CHECK(idle.priority == 3);  // top-level priority wins
}

TEST_CASE("engine refuses an unknown driver and names the loaded ones", "[jobs]") {
  auto config = make_config();
  config.set("jobs.pipelines.idle.driver", std::string("rabbit"));
  Rig rig(std::move(config));
  CHECK_THROWS_WITH(
      rig.make(),
      Catch::Contains("unknown driver \"rabbit\" for pipeline \"idle\"; available: memory"));
}

TEST_CASE("engine suggests the loaded driver an unknown name was probably meant to be", "[jobs]") {
  auto config = make_config();
  config.set("jobs.pipelines.idle.driver", std::string("memroy"));
  Rig rig(std::move(config));
  CHECK_THROWS_WITH(rig.make(), Catch::EndsWith("available: memory (did you mean \"memory\"?)"));
}

TEST_CASE("engine refuses a pipeline naming a pool that does not exist", "[jobs]") {
  auto config = make_config();
  config.set("jobs.pipelines.idle.pool", std::string("nowhere"));
  Rig rig(std::move(config));
  CHECK_THROWS_WITH(rig.make(), Catch::Contains("pool \"nowhere\""));
}

TEST_CASE("push rejects an empty id and an unknown pipeline with RoadRunner's texts", "[jobs]") {
  Rig rig;
  Engine& engine = rig.make();
  CHECK(push(engine, job("")).message() == "empty ID field not allowed");
  CHECK(push(engine, job("1", "nope")).message() == "no such pipeline, requested: nope");
  CHECK(engine.counters().push_err == 2);
  CHECK(push(engine, job("1")));
  CHECK(engine.counters().push_ok == 1);
}

TEST_CASE("a pushed job reaches a worker with the memory context and its ack counts ok", "[jobs]") {
  Rig rig;
  Engine& engine = rig.make();
  rig.executor.add_workers(1);
  REQUIRE(push(engine, job("1")));
  REQUIRE(coyote::test::run_until(rig.io, [&] { return !rig.executor.calls.empty(); }));
  CHECK(untraced(rig.executor.calls[0].context) ==
        R"({"id":"1","job":"t","driver":"memory","headers":{},"pipeline":"p"})");
  CHECK(rig.executor.calls[0].body == "hi");
  CHECK(state_of(engine, "p").active == 1);
  rig.executor.reply(R"({"type":2,"data":[]})");
  CHECK(engine.counters().jobs_ok == 1);
  CHECK(state_of(engine, "p").active == 0);
  CHECK(engine.in_flight() == 0);
}

TEST_CASE("a job pushed with priority 0 takes its pipeline's priority", "[jobs]") {
  Rig rig;
  Engine& engine = rig.make();
  REQUIRE(push(engine, job("explicit-20", "p", 20)));
  REQUIRE(push(engine, job("inherits-10", "p", 0)));
  REQUIRE(push(engine, job("explicit-5", "p", 5)));
  coyote::test::drain(rig.io);
  rig.executor.add_workers(3);
  REQUIRE(rig.executor.calls.size() == 3);
  CHECK(id_in(rig.executor.calls[0].context) == "explicit-5");
  CHECK(id_in(rig.executor.calls[1].context) == "inherits-10");
  CHECK(id_in(rig.executor.calls[2].context) == "explicit-20");
}

TEST_CASE("a pipeline's pool gets its jobs, with the pool header added", "[jobs]") {
  auto config = make_config();
  config.set("jobs.pipelines.mail.driver", std::string("memory"));
  config.set("jobs.pipelines.mail.pool", std::string("emails"));
  config.set("jobs.consume", std::vector<std::string>{"p", "mail"});
  Rig rig(std::move(config));
  TestExecutor emails;
  Engine& engine = rig.make({{"", &rig.executor}, {"emails", &emails}});
  rig.executor.add_workers(1);
  emails.add_workers(1);
  REQUIRE(push(engine, job("m1", "mail")));
  REQUIRE(coyote::test::run_until(rig.io, [&] { return !emails.calls.empty(); }));
  CHECK(rig.executor.calls.empty());
  CHECK(
      untraced(emails.calls[0].context) ==
      R"({"id":"m1","job":"t","driver":"memory","headers":{"pool":["emails"]},"pipeline":"mail"})");
  emails.reply(R"({"type":2,"data":[]})");
  CHECK(engine.counters().jobs_ok == 1);
}

TEST_CASE("requeue with delay and headers redelivers the same job later with merged headers",
          "[jobs]") {
  Rig rig;
  Engine& engine = rig.make();
  rig.executor.add_workers(1);
  auto m = job("r1");
  m.headers["keep"] = {"yes"};
  REQUIRE(push(engine, std::move(m)));
  REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.executor.calls.size() == 1; }));
  const auto sent = std::chrono::steady_clock::now();
  rig.executor.reply(
      R"({"type":4,"data":{"message":"x","delay_seconds":1,"headers":{"attempt":["1"]}}})");
  CHECK(engine.counters().jobs_requeue == 1);
  CHECK(state_of(engine, "p").delayed == 1);
  CHECK(rig.executor.calls.empty());
  REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.executor.calls.size() == 1; }));
  CHECK(std::chrono::steady_clock::now() - sent >= std::chrono::seconds{1});
  CHECK(
      untraced(rig.executor.calls[0].context) ==
      R"({"id":"r1","job":"t","driver":"memory","headers":{"attempt":["1"],"keep":["yes"]},"pipeline":"p"})");
  rig.executor.reply(R"({"type":2,"data":[]})");
  CHECK(state_of(engine, "p").delayed == 0);
  CHECK(state_of(engine, "p").active == 0);
}

TEST_CASE("nack redelivers only when the worker asks for it", "[jobs]") {
  Rig rig;
  Engine& engine = rig.make();
  rig.executor.add_workers(1);
  REQUIRE(push(engine, job("n1")));
  REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.executor.calls.size() == 1; }));
  SECTION("requeue false drops the job") {
    rig.executor.reply(R"({"type":3,"data":{"message":"m","requeue":false,"delay_seconds":0}})");
    coyote::test::drain(rig.io);
    CHECK(rig.executor.calls.empty());
    CHECK(engine.counters().jobs_err == 1);
    CHECK(state_of(engine, "p").active == 0);
  }
  SECTION("requeue true delivers it again with its headers unchanged") {
    rig.executor.reply(R"({"type":3,"data":{"message":"m","requeue":true,"delay_seconds":0}})");
    REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.executor.calls.size() == 1; }));
    CHECK(id_in(rig.executor.calls[0].context) == "n1");
    CHECK(untraced(rig.executor.calls[0].context).find(R"("headers":{})") != std::string::npos);
  }
}

TEST_CASE("a job whose worker was lost is delivered again", "[jobs]") {
  MapConfig c = make_config();
  c.set("jobs.pipelines.p.retry.initial", std::int64_t{0});
  Rig rig(c);
  Engine& engine = rig.make();
  rig.executor.add_workers(1);
  REQUIRE(push(engine, job("lost-1")));
  REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.executor.calls.size() == 1; }));
  ExecOutcome lost;
  lost.kind = ExecOutcome::Kind::kWorkerLost;
  lost.message = "worker exited with signal 9";
  rig.executor.finish(lost, false);
  coyote::test::drain(rig.io);
  CHECK(rig.executor.calls.empty());  // no worker yet: the job waits
  rig.executor.add_workers(1);        // the replacement worker
  REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.executor.calls.size() == 1; }));
  CHECK(id_in(rig.executor.calls[0].context) == "lost-1");
  CHECK(engine.counters().jobs_err == 1);
}

TEST_CASE("the host owns the attempt counter: a producer's X-Coyote-Attempt is dropped", "[jobs]") {
  // Issue 12 item 8: a job pushed with "X-Coyote-Attempt: 99" was dropped on its first failure.
  MapConfig c = make_config();
  c.set("jobs.pipelines.p.retry.initial", std::int64_t{0});
  c.set("jobs.pipelines.p.retry.max_attempts", std::int64_t{3});
  Rig rig(c);
  Engine& engine = rig.make();
  rig.executor.add_workers(1);
  auto forged = job("forged");
  forged.headers["X-Coyote-Attempt"] = {"99"};
  forged.headers["keep"] = {"me"};
  REQUIRE(push(engine, std::move(forged)));
  REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.executor.calls.size() == 1; }));
  CHECK_THAT(rig.executor.calls[0].context, !Catch::Contains("X-Coyote-Attempt"));
  CHECK_THAT(rig.executor.calls[0].context, Catch::Contains(R"("keep":["me"])"));
  ExecOutcome lost;
  lost.kind = ExecOutcome::Kind::kWorkerLost;
  lost.message = "worker exited with signal 9";
  rig.executor.finish(lost);
  // The first failure is attempt 1 of 3: redelivered as attempt 2, the host's own count.
  REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.executor.calls.size() == 1; }));
  CHECK_THAT(rig.executor.calls[0].context, Catch::Contains(R"("X-Coyote-Attempt":["2"])"));
  CHECK(engine.counters().jobs_retried == 1);
  CHECK(engine.counters().jobs_dropped == 0);
}

TEST_CASE("a push asking for a delay longer than 100 years is refused and names the limit",
          "[jobs]") {
  // Issue 12 item 10: such a delay overflowed and the job ran at once.
  Rig rig;
  Engine& engine = rig.make();
  auto m = job("centuries");
  m.options.delay_seconds = std::int64_t{1} << 62;
  const auto refused = push(engine, std::move(m));
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.message(),
             Catch::Contains("job centuries: a delay of 4611686018427387904 s is longer than the "
                             "maximum of 3155760000 s (100 years)"));
  CHECK(engine.counters().push_err == 1);
  CHECK(state_of(engine, "p").delayed == 0);
}

TEST_CASE("declare refuses pipeline and dead_letter names outside the documented set", "[jobs]") {
  // Issue 12 item 16: "../", newlines and 1 MB names were accepted.
  Rig rig;
  Engine& engine = rig.make();
  for (const std::string& name :
       {std::string("../etc"), std::string("a\nb"), std::string(1 << 20, 'x'),
        std::string(".hidden"), std::string("sp ace")}) {
    const auto refused = engine.declare({{"name", name}, {"driver", "memory"}});
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.message(), Catch::Contains("is not allowed: use 1 to 128 of"));
    CHECK(refused.message().size() < 300);
  }
  const auto dead = engine.declare({{"name", "ok"}, {"driver", "memory"}, {"dead_letter", "../x"}});
  REQUIRE_FALSE(dead);
  CHECK_THAT(dead.message(), Catch::Contains("declare: dead_letter \"..?x\""));
  CHECK(engine.declare({{"name", "Orders_v2.high-prio:eu"}, {"driver", "memory"}}));
}

TEST_CASE("declare, list, stat, pause, resume and destroy follow RoadRunner's rules", "[jobs]") {
  Rig rig;
  Engine& engine = rig.make();
  std::map<std::string, std::string> dyn{
      {"name", "dyn"}, {"driver", "memory"}, {"priority", "7"}, {"prefetch", "10"}};
  REQUIRE(engine.declare(dyn));
  auto names = engine.list();
  CHECK(std::count(names.begin(), names.end(), "dyn") == 1);
  CHECK_FALSE(state_of(engine, "dyn").ready);
  CHECK(state_of(engine, "dyn").priority == 7);
  CHECK(engine.declare(dyn).message() == "pipeline already exists, name: dyn, driver: memory");

  SECTION("declare errors") {
    CHECK_THAT(engine.declare({{"name", "x"}}).message(),
               Catch::StartsWith("no associated driver with the pipeline"));
    CHECK(engine.declare({{"name", "x"}, {"driver", "sqs"}}).message() ==
          "unknown driver \"sqs\" for pipeline \"x\"; available: memory");
    CHECK_THAT(engine.declare({{"name", "x"}, {"driver", "memory"}, {"prefetch", "0"}}).message(),
               Catch::Contains("prefetch"));
    REQUIRE(engine.declare({{"queue", "from-queue-key"}, {"driver", "memory"}, {"priority", "?"}}));
    CHECK(state_of(engine, "from-queue-key").priority == 10);
  }
  SECTION("pause and resume") {
    CHECK(engine.pause({"dyn"}).message() == "no active listeners, nothing to pause");
    REQUIRE(engine.resume({"dyn"}));
    CHECK(state_of(engine, "dyn").ready);
    CHECK(engine.resume({"dyn"}).message() == "memory listener is already in the active state");
    REQUIRE(engine.pause({"dyn"}));
    CHECK_FALSE(state_of(engine, "dyn").ready);
    CHECK(engine.pause({"nope"}).message() == "no such pipeline, requested: nope");
    CHECK(engine.resume({"nope"}).message() == "no such pipeline, requested: nope");
  }
  SECTION("destroy") {
    const auto destroyed = engine.destroy({"dyn"});
    REQUIRE(destroyed);
    CHECK(*destroyed == std::vector<std::string>{"dyn"});
    names = engine.list();
    CHECK(std::count(names.begin(), names.end(), "dyn") == 0);
    CHECK(push(engine, job("1", "dyn")).message() == "no such pipeline, requested: dyn");
    CHECK(engine.destroy({"dyn"}).error() == "no such pipeline, requested: dyn");
    REQUIRE(engine.declare(dyn));  // a destroyed name can be declared again
  }
}

TEST_CASE("a declared pipeline listed in jobs.consume starts consuming at once", "[jobs]") {
  auto config = make_config();
  config.set("jobs.consume", std::vector<std::string>{"p", "later"});
  Rig rig(std::move(config));
  Engine& engine = rig.make();
  REQUIRE(engine.declare({{"name", "later"}, {"driver", "memory"}}));
  CHECK(state_of(engine, "later").ready);
}

TEST_CASE("push_batch stops at the first error and keeps the jobs before it", "[jobs]") {
  Rig rig;
  Engine& engine = rig.make();
  std::vector<coyote::sdk::Message> batch;
  batch.push_back(job("b1"));
  batch.push_back(job("b2", "missing"));
  batch.push_back(job("b3"));
  Status result = Status::error("done not called");
  engine.push_batch(std::move(batch), [&](Status s) { result = std::move(s); });
  CHECK(result.message() == "no such pipeline, requested: missing");
  coyote::test::drain(rig.io);
  rig.executor.add_workers(5);
  REQUIRE(rig.executor.calls.size() == 1);
  CHECK(id_in(rig.executor.calls[0].context) == "b1");
}

TEST_CASE("stop removes queued jobs, stops the drivers and refuses pushes", "[jobs]") {
  Rig rig;
  Engine& engine = rig.make();
  REQUIRE(push(engine, job("q1")));
  REQUIRE(push(engine, job("q2")));
  coyote::test::drain(rig.io);
  CHECK(engine.queued() == 2);
  engine.stop();
  CHECK(engine.queued() == 0);
  CHECK_FALSE(state_of(engine, "p").ready);
  CHECK_FALSE(push(engine, job("q3")));
  rig.executor.add_workers(1);
  CHECK(rig.executor.calls.empty());
}

namespace {

MapConfig dead_letter_config() {
  MapConfig c = make_config();
  c.set("jobs.pipelines.p.retry.max_attempts", std::int64_t{2});
  c.set("jobs.pipelines.p.retry.initial", std::int64_t{0});
  c.set("jobs.pipelines.p.dead_letter", std::string("dlq"));
  return c;
}

ExecOutcome lost_worker() {
  ExecOutcome lost;
  lost.kind = ExecOutcome::Kind::kWorkerLost;
  lost.message = "worker exited with signal 9";
  return lost;
}

}  // namespace

TEST_CASE("a job failing every attempt lands in the dead-letter store and can be replayed",
          "[jobs][dead]") {
  Rig rig(dead_letter_config());
  Engine& engine = rig.make();
  rig.executor.add_workers(1);
  REQUIRE(push(engine, job("doomed")));
  REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.executor.calls.size() == 1; }));
  CHECK(rig.executor.calls[0].context.find("X-Coyote-Attempt") == std::string::npos);
  rig.executor.finish(lost_worker());
  REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.executor.calls.size() == 1; }));
  CHECK(rig.executor.calls[0].context.find(R"("X-Coyote-Attempt":["2"])") != std::string::npos);
  rig.executor.finish(lost_worker());
  coyote::test::drain(rig.io);
  CHECK(rig.executor.calls.empty());
  CHECK(engine.counters().jobs_dead == 1);

  auto dead = engine.dead_letters().dead_list("dlq");
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].message.id == "doomed");
  CHECK(dead[0].origin == "p");
  CHECK(dead[0].attempts == 2);
  CHECK(dead[0].last_error.find("signal 9") != std::string::npos);
  CHECK(dead[0].message.headers.at("X-Coyote-Origin-Pipeline") == std::vector<std::string>{"p"});
  const auto store = state_of(engine, "dlq");
  CHECK(store.driver == "dead_letter");
  CHECK(store.active == 1);

  SECTION("replay sends it back to its origin with a fresh attempt count") {
    REQUIRE(now([&](auto d) { engine.dead_letters().dead_replay("dlq", "doomed", d); }));
    CHECK(engine.dead_letters().dead_list("dlq").empty());
    REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.executor.calls.size() == 1; }));
    CHECK(id_in(rig.executor.calls[0].context) == "doomed");
    CHECK(rig.executor.calls[0].context.find("X-Coyote") == std::string::npos);
  }
  SECTION("delete forgets it; a second delete or replay names the missing id") {
    REQUIRE(now([&](auto d) { engine.dead_letters().dead_delete("dlq", "doomed", d); }));
    CHECK(engine.dead_letters().dead_list("dlq").empty());
    auto again = now([&](auto d) { engine.dead_letters().dead_delete("dlq", "doomed", d); });
    CHECK_FALSE(again);
    CHECK_THAT(again.message(), Catch::Contains("doomed") && Catch::Contains("dlq"));
    CHECK_FALSE(now([&](auto d) { engine.dead_letters().dead_replay("dlq", "doomed", d); }));
  }
}

TEST_CASE("a dead_letter naming a pipeline hands dead jobs to that pipeline's driver",
          "[jobs][dead]") {
  MapConfig c = dead_letter_config();
  c.set("jobs.pipelines.p.dead_letter", std::string("idle"));
  c.set("jobs.pipelines.p.retry.max_attempts", std::int64_t{1});
  Rig rig(c);
  Engine& engine = rig.make();
  rig.executor.add_workers(1);
  REQUIRE(push(engine, job("doomed")));
  REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.executor.calls.size() == 1; }));
  rig.executor.finish(lost_worker());
  coyote::test::drain(rig.io);
  CHECK(engine.counters().jobs_dead == 1);
  CHECK(engine.dead_letters()
            .dead_list("idle")
            .empty());               // held by the pipeline's driver, not the host
  REQUIRE(engine.resume({"idle"}));  // "idle" is not consumed until asked
  REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.executor.calls.size() == 1; }));
  const std::string& context = rig.executor.calls[0].context;
  CHECK(id_in(context) == "doomed");
  CHECK(context.find(R"("pipeline":"idle")") != std::string::npos);
  CHECK(context.find(R"("X-Coyote-Origin-Pipeline":["p"])") != std::string::npos);
  CHECK(context.find("X-Coyote-Attempt\"") == std::string::npos);
}

TEST_CASE("a pipeline cannot be its own dead_letter", "[jobs][dead]") {
  MapConfig c = make_config();
  c.set("jobs.pipelines.p.dead_letter", std::string("p"));
  Rig rig(c);
  CHECK_THROWS_WITH(rig.make(), Catch::Contains("dead_letter") && Catch::Contains("loop"));
}

TEST_CASE("drain keeps serving a memory pipeline's queued jobs until it is empty",
          "[jobs][drain]") {
  // Issue 12 item 6: SIGTERM with 20 000 queued in a memory pipeline exited 0 having run 2 and
  // "returned" 98 to a driver that was about to drop them, with 19 608 more gone uncounted.
  Rig rig;
  Engine& engine = rig.make();
  rig.executor.add_workers(1);
  REQUIRE(push(engine, job("running")));
  REQUIRE(push(engine, job("waiting-1")));
  REQUIRE(push(engine, job("waiting-2")));
  REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.executor.calls.size() == 1; }));
  CHECK(engine.queued() == 2);

  std::optional<coyote::host::jobs::DrainReport> report;
  SECTION("every queued job runs within the grace period") {
    engine.drain(std::chrono::seconds{30}, [&](const auto& r) { report = r; });
    for (const char* id : {"running", "waiting-1", "waiting-2"}) {
      REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.executor.calls.size() == 1; }));
      CHECK_THAT(rig.executor.calls[0].context, Catch::Contains(id));
      CHECK_FALSE(report);
      rig.executor.reply(R"({"type":2,"data":[]})");
    }
    REQUIRE(coyote::test::run_until(rig.io, [&] { return report.has_value(); }));
    CHECK(report->finished == 3);
    CHECK(report->returned == 0);
    CHECK(report->abandoned == 0);
    CHECK(engine.counters().jobs_ok == 3);
    CHECK_FALSE(state_of(engine, "p").ready);
  }
  SECTION("what is left when the grace period ends is counted") {
    engine.drain(std::chrono::milliseconds{30}, [&](const auto& r) { report = r; });
    REQUIRE(coyote::test::run_until(rig.io, [&] { return report.has_value(); }));
    CHECK(report->finished == 0);
    CHECK(report->returned == 2);
    CHECK(report->abandoned == 1);
    // Returned jobs wait in the paused driver, not in the host queue, and nothing is dispatched.
    CHECK(engine.queued() == 0);
  }
  engine.stop();
}

TEST_CASE("drain does not wait its grace for a paused memory pipeline's held jobs",
          "[jobs][drain]") {
  // A paused memory pipeline reports its buffered jobs as active (as RoadRunner counts them),
  // but nothing serves them until it is resumed: the drain must not idle for its whole grace.
  Rig rig;
  Engine& engine = rig.make();  // no worker
  REQUIRE(push(engine, job("held-1")));
  REQUIRE(push(engine, job("held-2")));
  REQUIRE(engine.pause({"p"}));
  coyote::test::drain(rig.io);
  CHECK(state_of(engine, "p").active == 2);
  std::optional<coyote::host::jobs::DrainReport> report;
  engine.drain(std::chrono::seconds{60}, [&](const auto& r) { report = r; });
  REQUIRE(coyote::test::run_until(rig.io, [&] { return report.has_value(); }));
  CHECK(report->abandoned == 0);
  engine.stop();
}

TEST_CASE("destroying a memory pipeline with queued jobs names every one it drops", "[jobs]") {
  // Issue 12 item 6: jobs.Destroy with 998 queued dropped them uncounted.
  coyote::test::TempDir dir;
  const char* old_tmp = std::getenv("TMPDIR");
  const std::string saved = old_tmp != nullptr ? old_tmp : "";
  ::setenv("TMPDIR", dir.path().c_str(), 1);
  {
    Rig rig;
    Engine& engine = rig.make();  // no worker: every job stays queued
    for (int i = 0; i < 5; ++i) REQUIRE(push(engine, job("queued-" + std::to_string(i))));
    REQUIRE(engine.destroy({"p"}));
    engine.stop();
  }
  if (saved.empty()) {
    ::unsetenv("TMPDIR");
  } else {
    ::setenv("TMPDIR", saved.c_str(), 1);
  }
  std::string lost;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    std::ifstream in(entry.path());
    lost += std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  for (int i = 0; i < 5; ++i)
    CHECK_THAT(lost, Catch::Contains("queued-" + std::to_string(i) + "\t"));
}
