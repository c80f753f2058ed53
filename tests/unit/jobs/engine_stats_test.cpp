// Engine::stats(): the per-pipeline and per-pool numbers the metrics endpoint exports.
#include "jobs/engine.hpp"
#include "support/map_config.hpp"
#include "support/memory_plugin.hpp"
#include "unit/jobs/test_executor.hpp"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

using coyote::host::jobs::Engine;
using coyote::host::jobs::EngineStats;
using coyote::host::jobs::PushSource;
using coyote::sdk::Status;
using coyote::test::MapConfig;
using coyote::test::TestExecutor;

namespace {

MapConfig make_config() {
  MapConfig c;
  c.set("jobs.consume", std::vector<std::string>{"p"});
  c.set("jobs.pipelines.p.driver", std::string("memory"));
  c.set("jobs.pipelines.p.config.prefetch", std::int64_t{100});
  c.set("jobs.pipelines.p.retry.max_attempts", std::int64_t{1});
  c.set("jobs.pipelines.out.driver", std::string("memory"));
  return c;
}

coyote::sdk::Message job(std::string id, std::string pipeline = "p") {
  coyote::sdk::Message m;
  m.id = std::move(id);
  m.name = "t";
  m.payload = "hi";
  m.options.pipeline = std::move(pipeline);
  return m;
}

struct Rig {
  Rig() : config(make_config()), plugin(config) {
    coyote::host::jobs::Pools pools;
    pools.emplace("", &executor);
    engine = std::make_unique<Engine>(io, config, plugin.drivers(), std::move(pools));
    engine->start();
  }
  Status push(coyote::sdk::Message m) {
    Status result = Status::error("done not called");
    engine->push(std::move(m), [&](Status s) { result = std::move(s); });
    io.poll();
    io.restart();
    return result;
  }
  MapConfig config;
  coyote::test::MemoryPlugin plugin;
  boost::asio::io_context io;
  TestExecutor executor;
  std::unique_ptr<Engine> engine;
};

const EngineStats::Pipeline& pipeline(const EngineStats& stats, const std::string& name) {
  for (const auto& p : stats.pipelines) {
    if (p.name == name) return p;
  }
  FAIL("no pipeline " << name);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("engine stats count each pipeline's outcomes apart from the totals", "[jobs][stats]") {
  Rig rig;
  REQUIRE(rig.push(job("a")));
  REQUIRE(rig.push(job("b")));
  REQUIRE(rig.push(job("c", "out")));
  rig.executor.add_workers(2);
  rig.io.poll();
  REQUIRE(rig.executor.calls.size() == 2);
  rig.executor.reply(R"({"type":2,"data":[]})");
  rig.executor.reply("not json");
  rig.io.poll();

  const EngineStats stats = rig.engine->stats();
  CHECK(stats.totals.jobs_ok == 1);
  CHECK(stats.totals.jobs_err == 1);
  CHECK(stats.totals.push_ok == 3);
  const auto& p = pipeline(stats, "p");
  CHECK(p.driver == "memory");
  CHECK(p.counters.jobs_ok == 1);
  CHECK(p.counters.jobs_err == 1);
  CHECK(p.counters.push_ok == 2);
  CHECK(p.state.ready);
  const auto& out = pipeline(stats, "out");
  CHECK(out.counters.push_ok == 1);
  CHECK(out.counters.jobs_ok == 0);
  CHECK_FALSE(out.state.ready);
}

TEST_CASE("engine stats count pushes by source with their latency", "[jobs][stats]") {
  Rig rig;
  REQUIRE(rig.push(job("s1", "out")));
  std::vector<coyote::sdk::Message> batch;
  for (int i = 0; i < 3; ++i) batch.push_back(job("b" + std::to_string(i), "out"));
  Status result = Status::error("done not called");
  rig.engine->push_batch(std::move(batch), [&](Status s) { result = std::move(s); });
  rig.io.poll();
  REQUIRE(result);

  const auto stats = rig.engine->stats();  // `out` refers into it
  const auto& out = pipeline(stats, "out");
  const auto& single = out.push[static_cast<std::size_t>(PushSource::kSingle)];
  const auto& batched = out.push[static_cast<std::size_t>(PushSource::kBatch)];
  CHECK(single.requests == 1);
  CHECK(single.latency.count() == 1);
  CHECK(batched.requests == 3);
  CHECK(batched.latency.count() == 3);
  CHECK(batched.latency.bounds().size() == 11);  // RoadRunner's (Prometheus' default) buckets
}

TEST_CASE("engine stats show jobs queued for a worker, in flight, and how long they waited",
          "[jobs][stats]") {
  Rig rig;
  for (int i = 0; i < 3; ++i) REQUIRE(rig.push(job("q" + std::to_string(i))));
  rig.io.poll();
  {
    const EngineStats stats = rig.engine->stats();
    const auto& p = pipeline(stats, "p");
    CHECK(p.queued == 3);
    CHECK(p.in_flight == 0);
    CHECK(p.oldest_queued >= 0);
    REQUIRE(stats.lanes.size() == 1);
    CHECK(stats.lanes[0].queued == 3);
    CHECK(stats.lanes[0].wait.count() == 0);
  }
  rig.executor.add_workers(1);
  rig.io.poll();
  {
    const EngineStats stats = rig.engine->stats();
    const auto& p = pipeline(stats, "p");
    CHECK(p.queued == 2);
    CHECK(p.in_flight == 1);
    CHECK(stats.lanes[0].wait.count() == 1);
    CHECK(stats.lanes[0].exec.count() == 0);
  }
  rig.executor.reply(R"({"type":2,"data":[]})");
  rig.io.poll();
  const EngineStats stats = rig.engine->stats();
  CHECK(stats.lanes[0].exec.count() == 1);
  CHECK(pipeline(stats, "p").in_flight == 1);  // the next job went to the freed worker
  CHECK(pipeline(stats, "p").queued == 1);
}

TEST_CASE("a destroyed pipeline's counters are forgotten", "[jobs][stats]") {
  Rig rig;
  REQUIRE(rig.push(job("x", "out")));
  REQUIRE(rig.engine->destroy({"out"}));
  const EngineStats stats = rig.engine->stats();
  for (const auto& p : stats.pipelines) CHECK(p.name != "out");
  CHECK(stats.totals.push_ok == 1);  // the totals keep it, as RoadRunner's counters do
}

TEST_CASE("a job pushed without a traceparent reaches its worker with a new one", "[jobs][trace]") {
  Rig rig;
  auto traced = job("traced");
  traced.headers["traceparent"] = {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"};
  traced.headers["tracestate"] = {"rojo=00f067aa0ba902b7"};
  REQUIRE(rig.push(std::move(traced)));
  REQUIRE(rig.push(job("plain")));
  rig.executor.add_workers(2);
  rig.io.poll();
  REQUIRE(rig.executor.calls.size() == 2);
  const auto headers_of = [](const std::string& context) {
    return boost::json::parse(context).at("headers").as_object();
  };
  const auto kept = headers_of(rig.executor.calls[0].context);
  CHECK(kept.at("traceparent").at(0).as_string() ==
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  CHECK(kept.at("tracestate").at(0).as_string() == "rojo=00f067aa0ba902b7");
  CHECK_FALSE(kept.contains("Traceparent"));
  const auto made = headers_of(rig.executor.calls[1].context);
  REQUIRE(made.contains("Traceparent"));
  CHECK(made.at("Traceparent").at(0).as_string().size() == 55);
}

TEST_CASE("a requeued job keeps its traceparent, an acked job's header goes to the next job anew",
          "[jobs][trace]") {
  Rig rig;
  REQUIRE(rig.push(job("a")));
  REQUIRE(rig.push(job("b")));
  REQUIRE(rig.push(job("c")));
  rig.executor.add_workers(1);
  rig.io.poll();
  const auto running = [&] {  // the one worker's job (finished calls leave the list)
    REQUIRE(rig.executor.calls.size() == 1);
    const auto ctx = boost::json::parse(rig.executor.calls.front().context).as_object();
    return std::pair<std::string, std::string>(
        ctx.at("id").as_string().c_str(),
        ctx.at("headers").at("Traceparent").at(0).as_string().c_str());
  };
  std::map<std::string, std::vector<std::string>> contexts;  // id -> traceparent per delivery
  const auto record = [&] {
    const auto [id, traceparent] = running();
    contexts[id].push_back(traceparent);
  };
  record();  // a
  rig.executor.reply(R"({"type":4,"data":{"message":"again","delay_seconds":0,"headers":{}}})");
  rig.io.poll();
  rig.io.restart();
  record();
  rig.executor.reply(R"({"type":2,"data":[]})");  // its node is kept for the next job
  rig.io.poll();
  rig.io.restart();
  record();
  rig.executor.reply(R"({"type":2,"data":[]})");
  rig.io.poll();
  rig.io.restart();
  record();
  rig.executor.reply(R"({"type":2,"data":[]})");
  rig.io.poll();
  REQUIRE(contexts.size() == 3);
  REQUIRE(contexts["a"].size() == 2);
  CHECK(contexts["a"][0] == contexts["a"][1]);  // the requeued job's context, as it was
  std::set<std::string> distinct;
  for (const auto& [id, seen] : contexts) distinct.insert(seen.front());
  CHECK(distinct.size() == 3);  // a reused header node is written anew, never shared
}
