// Unique jobs: the key set alone with a controllable clock, and through a real engine over the
// memory plugin (refusal, release on ack, dead letter and destroy, batches).
#include "jobs/unique_keys.hpp"
#include "jobs/engine.hpp"
#include "support/fake_job.hpp"
#include "support/map_config.hpp"
#include "support/memory_plugin.hpp"
#include "support/wait.hpp"
#include "unit/jobs/test_executor.hpp"

#include <catch2/catch.hpp>

#include <memory>

using coyote::host::jobs::Engine;
using coyote::host::jobs::UniqueKeys;
using coyote::sdk::Status;
using coyote::test::MapConfig;
using coyote::test::TestExecutor;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

coyote::sdk::Message keyed(std::string id, std::string key, std::string pipeline = "p") {
  coyote::sdk::Message m;
  m.id = std::move(id);
  m.name = "t";
  m.payload = "x";
  m.options.pipeline = std::move(pipeline);
  if (!key.empty()) m.headers["X-Coyote-Unique-Key"] = {std::move(key)};
  return m;
}

MapConfig make_config() {
  MapConfig c;
  c.set("jobs.consume", std::vector<std::string>{"p", "q"});
  c.set("jobs.pipelines.p.driver", std::string("memory"));
  c.set("jobs.pipelines.p.config.prefetch", std::int64_t{100});
  c.set("jobs.pipelines.p.retry.max_attempts", std::int64_t{1});
  c.set("jobs.pipelines.q.driver", std::string("memory"));
  return c;
}

struct Rig {
  Rig() : config(make_config()), plugin(config) {
    engine = std::make_unique<Engine>(io, config, plugin.drivers(),
                                      coyote::host::jobs::Pools{{"", &executor}});
    engine->start();
  }
  Status push(coyote::sdk::Message m) {
    std::optional<Status> result;
    engine->push(std::move(m), [&](Status s) { result = std::move(s); });
    REQUIRE(coyote::test::run_until(io, [&] { return result.has_value(); }));
    return *result;
  }
  Status push_batch(std::vector<coyote::sdk::Message> m) {
    std::optional<Status> result;
    engine->push_batch(std::move(m), [&](Status s) { result = std::move(s); });
    REQUIRE(coyote::test::run_until(io, [&] { return result.has_value(); }));
    return *result;
  }
  /// The next job reaches the (one) worker, which answers `reply`.
  void answer(const std::string& reply) {
    REQUIRE(coyote::test::run_until(io, [&] { return !executor.calls.empty(); }));
    executor.reply(reply);
    coyote::test::drain(io);
  }
  MapConfig config;
  coyote::test::MemoryPlugin plugin;
  boost::asio::io_context io;
  TestExecutor executor;
  std::unique_ptr<Engine> engine;
};

}  // namespace

TEST_CASE("a push whose unique key is held is refused with the documented error and counted",
          "[schedule][unique]") {
  Rig rig;
  REQUIRE(rig.push(keyed("a", "user-7")));
  const auto refused = rig.push(keyed("b", "user-7"));
  CHECK(refused.message() ==
        "duplicate unique key: job a in pipeline p holds X-Coyote-Unique-Key \"user-7\" "
        "(queued, delayed or running); push of job b refused");
  CHECK(rig.engine->unique_keys().refused() == 1);
  CHECK(rig.engine->counters().push_err == 1);
  // Another key, another pipeline, or no key: accepted.
  CHECK(rig.push(keyed("c", "user-8")));
  CHECK(rig.push(keyed("d", "user-7", "q")));
  CHECK(rig.push(keyed("e", "")));
  CHECK(rig.engine->unique_keys().held() == 3);
}

TEST_CASE("a unique key is released when its job is acked", "[schedule][unique]") {
  Rig rig;
  rig.executor.add_workers(1);
  REQUIRE(rig.push(keyed("a", "k")));
  CHECK_FALSE(rig.push(keyed("b", "k")));  // running now
  rig.answer(R"({"type":2,"data":[]})");
  CHECK(rig.engine->unique_keys().held() == 0);
  CHECK(rig.push(keyed("b", "k")));
}

TEST_CASE("a unique key is released when its job is dead-lettered, not when it is requeued",
          "[schedule][unique]") {
  Rig rig;
  rig.executor.add_workers(1);
  REQUIRE(rig.push(keyed("a", "k")));
  rig.answer(R"({"type":4,"data":{"message":"again"}})");  // requeue: still held
  CHECK_FALSE(rig.push(keyed("b", "k")));
  rig.answer(R"({"type":3,"data":{"message":"no","requeue":false}})");  // nack: dead letter
  REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.engine->unique_keys().held() == 0; }));
  CHECK(rig.engine->counters().jobs_dead == 1);
  CHECK(rig.push(keyed("b", "k")));
}

TEST_CASE("destroying a pipeline releases its unique keys", "[schedule][unique]") {
  Rig rig;
  REQUIRE(rig.push(keyed("a", "k", "q")));
  REQUIRE(rig.engine->destroy({"q"}));
  CHECK(rig.engine->unique_keys().held() == 0);
}

TEST_CASE("a batch refused for a held key gives back the keys of its run", "[schedule][unique]") {
  Rig rig;
  REQUIRE(rig.push(keyed("a", "held")));
  const auto refused = rig.push_batch({keyed("b", "fresh"), keyed("c", "held")});
  CHECK(refused.message().rfind("duplicate unique key: job a", 0) == 0);
  CHECK(rig.push(keyed("d", "fresh")));  // b's claim was given back
  // Two jobs with one key in the same batch: the second is refused.
  CHECK_FALSE(rig.push_batch({keyed("e", "twice"), keyed("f", "twice")}));
}

TEST_CASE("bad unique headers are refused with what to fix", "[schedule][unique]") {
  Rig rig;
  CHECK(rig.push(keyed("a", std::string(1024 * 1024, 'k'))).message() ==
        "X-Coyote-Unique-Key of job a is 1048576 bytes; the limit is 4096: send a hash of it "
        "(e.g. sha256 of the job's arguments)");
  auto empty = keyed("b", "");
  empty.headers["X-Coyote-Unique-Key"] = {""};
  CHECK(rig.push(empty).message().find("is empty") != std::string::npos);
  for (const char* window : {"0s", "-5s", "soon"}) {
    auto m = keyed("c", "k");
    m.headers["X-Coyote-Unique-For"] = {window};
    CHECK(rig.push(m).message() == std::string("X-Coyote-Unique-For of job c is \"") + window +
                                       "\": it must be a duration > 0 like 30s or 10m (or leave "
                                       "it out: the key is then held until the job finishes)");
  }
  CHECK(rig.engine->unique_keys().held() == 0);
}

TEST_CASE("a throttle window keeps the key after the job finished until the window ends",
          "[schedule][unique]") {
  UniqueKeys keys;
  const UniqueKeys::Clock::time_point t0{};
  auto m = keyed("a", "k");
  m.headers["x-coyote-unique-for"] = {"10m"};  // header names in any case
  REQUIRE(keys.claim(m, t0));
  coyote::test::FakeJob job("a", 0, "p");
  job.headers() = m.headers;
  keys.finished(job, t0 + minutes{1});
  CHECK(keys.holder("p", "k", t0 + minutes{1}) == "a");
  auto again = keyed("b", "k");
  CHECK(keys.claim(again, t0 + minutes{9}).status().message().find("window is open") !=
        std::string::npos);
  CHECK(keys.claim(again, t0 + minutes{10}));
  CHECK(keys.holder("p", "k", t0 + minutes{10}) == "b");
}

TEST_CASE("a key a restart adopts from a durable job is held until that job finishes",
          "[schedule][unique]") {
  UniqueKeys keys;
  const UniqueKeys::Clock::time_point t0{};
  keys.adopt("p", "a", {{"X-Coyote-Unique-Key", {"k"}}}, t0);
  CHECK_FALSE(keys.claim(keyed("b", "k"), t0));
  coyote::test::FakeJob job("a", 0, "p");
  job.headers() = {{"X-Coyote-Unique-Key", {"k"}}};
  keys.finished(job, t0);
  CHECK(keys.claim(keyed("b", "k"), t0));
  CHECK(keys.refused() == 1);
}
