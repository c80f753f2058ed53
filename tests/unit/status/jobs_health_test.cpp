// The jobs plugin's liveness and readiness rules.
#include "status/jobs_health.hpp"

#include <catch2/catch.hpp>

namespace st = coyote::host::status;
using Catch::Matchers::Contains;

namespace {

st::JobsHealth one_pool(std::size_t configured, std::size_t idle, std::size_t busy,
                        bool consumed = true) {
  st::JobsHealth h;
  h.pools.push_back({"default", configured, idle, busy, consumed});
  h.pipelines.push_back({"emails", consumed, ""});
  return h;
}

}  // namespace

TEST_CASE("jobs is healthy while every consuming pool has a live worker", "[status]") {
  CHECK(st::jobs_status(one_pool(4, 1, 3)).code == 200);
  CHECK(st::jobs_status(one_pool(4, 0, 4)).code == 200);  // all busy is alive
  const auto down = st::jobs_status(one_pool(4, 0, 0));
  CHECK(down.code == 503);
  CHECK_THAT(down.message, Contains("pool default") && Contains("0 of 4"));
}

TEST_CASE("a producer-only instance is healthy and ready", "[status]") {
  // No workers configured at all (RoadRunner answers 503 here).
  st::JobsHealth none;
  none.pipelines.push_back({"out", false, ""});
  CHECK(st::jobs_status(none).code == 200);
  CHECK(st::jobs_ready(none, st::ReadyRule::kWorkers).code == 200);
  // Workers configured but nothing consumed: their state does not matter.
  CHECK(st::jobs_status(one_pool(2, 0, 0, false)).code == 200);
  CHECK(st::jobs_status(one_pool(0, 0, 0)).code == 200);
}

TEST_CASE("ready rule workers does not flap when every worker is busy", "[status]") {
  CHECK(st::jobs_ready(one_pool(2, 0, 2), st::ReadyRule::kWorkers).code == 200);
  CHECK(st::jobs_ready(one_pool(2, 0, 0), st::ReadyRule::kWorkers).code == 503);
}

TEST_CASE("ready rule idle_worker is RoadRunner's: an idle worker or 503", "[status]") {
  CHECK(st::jobs_ready(one_pool(2, 1, 1), st::ReadyRule::kIdleWorker).code == 200);
  const auto busy = st::jobs_ready(one_pool(2, 0, 2), st::ReadyRule::kIdleWorker);
  CHECK(busy.code == 503);
  CHECK_THAT(busy.message, Contains("idle_worker"));
}

TEST_CASE("ready rule workers_and_drivers also needs every driver without error", "[status]") {
  auto h = one_pool(2, 1, 0);
  h.pipelines.push_back({"orders", true, "amqp: connection refused"});
  CHECK(st::jobs_ready(h, st::ReadyRule::kWorkers).code == 200);  // a driver error is per pipeline
  CHECK(st::jobs_status(h).code == 200);
  const auto r = st::jobs_ready(h, st::ReadyRule::kWorkersAndDrivers);
  CHECK(r.code == 503);
  CHECK_THAT(r.message, Contains("pipeline orders: amqp: connection refused"));
}

TEST_CASE("ready rule names parse and print", "[status]") {
  for (const auto r :
       {st::ReadyRule::kWorkers, st::ReadyRule::kIdleWorker, st::ReadyRule::kWorkersAndDrivers}) {
    CHECK(st::parse_ready_rule(st::to_string(r)) == r);
  }
  CHECK_FALSE(st::parse_ready_rule("always"));
}
