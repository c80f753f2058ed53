// /health, /ready, /jobs answers and status.* RPC replies: RoadRunner's shapes and codes.
#include "status/status_answers.hpp"

#include <catch2/catch.hpp>

namespace st = coyote::host::status;
using Catch::Matchers::Contains;

TEST_CASE("health lists every plugin's report with RoadRunner's keys", "[status]") {
  const st::Checks checks{{"jobs", {200, ""}}};
  const auto a = st::health_answer(checks, {}, 503, false);
  CHECK(a.status == 200);
  CHECK(a.content_type == "application/json");
  CHECK(a.body == R"([{"plugin_name":"jobs","error_message":"","status_code":200}])");
}

TEST_CASE("health is unavailable when a plugin is, and says why", "[status]") {
  const st::Checks checks{{"jobs", {503, "pool default: 0 of 4 workers alive"}}};
  auto a = st::health_answer(checks, {}, 503, false);
  CHECK(a.status == 503);
  CHECK(
      a.body ==
      R"([{"plugin_name":"jobs","error_message":"pool default: 0 of 4 workers alive","status_code":503}])");
  // unavailable_status_code replaces the code in the answer and in the report.
  a = st::health_answer(checks, {"jobs"}, 500, false);
  CHECK(a.status == 500);
  CHECK_THAT(a.body, Contains("\"status_code\":500"));
  // Without a reason, RoadRunner's text.
  a = st::health_answer({{"jobs", {500, ""}}}, {}, 503, false);
  CHECK_THAT(a.body, Contains("internal server error, see logs"));
}

TEST_CASE("health with ?plugin= reports those plugins in order, unknown ones as 404", "[status]") {
  const st::Checks checks{{"jobs", {200, ""}}};
  const auto a = st::health_answer(checks, {"http", "jobs"}, 503, false);
  CHECK(a.status == 200);  // an unknown plugin does not fail the probe, it is reported
  CHECK(
      a.body ==
      R"j([{"plugin_name":"http","error_message":"no such plugin: http (plugins with checks: jobs)","status_code":404},)j"
      R"j({"plugin_name":"jobs","error_message":"","status_code":200}])j");
}

TEST_CASE("a failed check makes health unavailable with or without ?plugin=", "[status]") {
  const st::Checks checks{{"jobs", {0, "cannot read pool state", true}}};
  for (const std::vector<std::string>& requested :
       {std::vector<std::string>{}, std::vector<std::string>{"jobs"}}) {
    const auto a = st::health_answer(checks, requested, 503, false);
    CHECK(a.status == 503);
    CHECK_THAT(a.body, Contains("cannot read pool state") && Contains("\"status_code\":503"));
  }
}

TEST_CASE("a code outside 100-400 below 500 is an unexpected status code", "[status]") {
  const auto a = st::ready_answer({{"jobs", {404, ""}}}, {}, 503, false);
  CHECK(a.status == 200);
  CHECK(a.body ==
        R"([{"plugin_name":"jobs","error_message":"unexpected status code","status_code":404}])");
}

TEST_CASE("while shutting down health stays 200 and ready and jobs are unavailable", "[status]") {
  const st::Checks checks{{"jobs", {200, ""}}};
  const auto h = st::health_answer(checks, {}, 503, true);
  CHECK(h.status == 200);
  CHECK(h.content_type == "text/plain; charset=utf-8");
  CHECK(h.body == "service is shutting down\n");
  const auto r = st::ready_answer(checks, {}, 418, true);
  CHECK(r.status == 418);
  CHECK(r.body == "service is shutting down\n");
  const auto j = st::jobs_answer(std::vector<coyote::sdk::State>{}, 503, true);
  CHECK(j.status == 503);
  CHECK(j.body == "service is shutting down\n");
}

TEST_CASE("jobs lists pipelines by name with RoadRunner's keys and per-pipeline errors",
          "[status]") {
  std::vector<coyote::sdk::State> states(3);
  states[0] = {.pipeline = "orders",
               .driver = "amqp",
               .queue = "orders",
               .active = 0,
               .delayed = 0,
               .reserved = 0,
               .ready = false,
               .priority = 10,
               .error = "dial tcp 127.0.0.1:5672: connection refused"};
  states[1] = {.pipeline = "emails",
               .driver = "memory",
               .queue = "emails",
               .active = 2,
               .delayed = 1,
               .reserved = 0,
               .ready = true,
               .priority = 10,
               .error = ""};
  states[2] = {.pipeline = "out",  // producer-only: its consumer never runs
               .driver = "memory",
               .queue = "out",
               .ready = false,
               .priority = 1};
  const auto a = st::jobs_answer(states, 503, false);
  CHECK(a.status == 200);  // one failing driver does not fail the answer
  CHECK(
      a.body ==
      R"([{"pipeline":"emails","priority":10,"ready":true,"queue":"emails","active":2,"delayed":1,"reserved":0,"driver":"memory","error_message":""},)"
      R"({"pipeline":"orders","priority":10,"ready":false,"queue":"orders","active":0,"delayed":0,"reserved":0,"driver":"amqp","error_message":"dial tcp 127.0.0.1:5672: connection refused"},)"
      R"({"pipeline":"out","priority":1,"ready":false,"queue":"out","active":0,"delayed":0,"reserved":0,"driver":"memory","error_message":""}])");
}

TEST_CASE("jobs without a jobs plugin answers RoadRunner's text", "[status]") {
  const auto a = st::jobs_answer(std::nullopt, 503, false);
  CHECK(a.status == 503);
  CHECK(a.body == "jobs plugin not found\n");
  CHECK(st::jobs_answer(std::vector<coyote::sdk::State>{}, 503, false).body == "[]");
}

TEST_CASE("jobs escapes pipeline names as JSON strings", "[status]") {
  std::vector<coyote::sdk::State> states(1);
  states[0].pipeline = "we\"ird\npipe";
  const auto a = st::jobs_answer(states, 503, false);
  CHECK_THAT(a.body, Contains(R"("pipeline":"we\"ird\npipe")"));
}

TEST_CASE("status rpc replies code and message, unknown plugins are errors", "[status]") {
  const st::Checks checks{{"jobs", {503, "no idle worker"}}};
  const auto r = st::rpc_reply(checks, "jobs");
  REQUIRE(r);
  CHECK(r->code == 503);
  CHECK(r->message == "no idle worker");
  const auto unknown = st::rpc_reply(checks, "http");
  REQUIRE_FALSE(unknown);
  CHECK_THAT(unknown.error(), Contains("no such plugin: http") && Contains("jobs"));
  CHECK_FALSE(st::rpc_reply({{"jobs", {0, "broken", true}}}, "jobs"));
}
