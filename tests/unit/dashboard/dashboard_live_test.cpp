// The Workers page's current job and stop action over a real worker pool (examples/workers),
// and the Schedules and Results pages over the RPC's own handlers.
#include "unit/dashboard/api_rig.hpp"
#include "unit/worker/worker_test_support.hpp"

#include "jobs/result_store.hpp"
#include "worker/pool_set.hpp"

#include <catch2/catch.hpp>

#include <optional>

namespace json = boost::json;
using coyote::test::ApiRig;
using coyote::test::run_until;
using namespace coyote::host;

namespace {

/// ApiRig's engine and RPC table, with a one-worker pool of examples/workers/worker.py behind
/// the API instead of the rig's empty one.
struct LiveRig {
  LiveRig()
      : pools(t.rig.io, {coyote::test::test_pool(1)},
              coyote::test::server(coyote::test::python_worker())),
        api(*t.rig.engine, &pools, t.table, t.history, t.guard, dashboard::ApiOptions{}) {
    pools.start();
    REQUIRE(run_until(t.rig.io, [&] { return pool().ready_count() == 1; }));
  }
  ~LiveRig() {
    bool stopped = false;
    pools.stop([&] { stopped = true; });
    run_until(t.rig.io, [&] { return stopped; });
  }
  LiveRig(const LiveRig&) = delete;
  LiveRig& operator=(const LiveRig&) = delete;
  LiveRig(LiveRig&&) = delete;
  LiveRig& operator=(LiveRig&&) = delete;

  worker::WorkerPool& pool() { return *pools.pool(""); }
  http::Response send(const http::Request& r) {
    std::optional<http::Response> out;
    api.handle(r, [&out](http::Response x) { out = std::move(x); });
    run_until(t.rig.io, [&] { return out.has_value(); });
    REQUIRE(out.has_value());
    return std::move(*out);
  }
  json::value workers() {
    return ApiRig::json(send(ApiRig::request(boost::beast::http::verb::get, "/api/workers")));
  }
  http::Response post(std::string target, std::string body) {
    return send(
        ApiRig::request(boost::beast::http::verb::post, std::move(target), std::move(body)));
  }
  const json::value& first_worker(const json::value& body) {
    return body.at("pools").at(0).at("workers").at(0);
  }

  ApiRig t;
  worker::PoolSet pools;
  dashboard::DashboardApi api;
};

}  // namespace

TEST_CASE("a busy worker shows its job's id, name, pipeline, start and last check-in",
          "[dashboard][workers]") {
  LiveRig r;
  REQUIRE(r.t.rig.engine->results()->progress("w-1", "half way"));
  std::optional<worker::ExecOutcome> done;
  REQUIRE(r.pool().try_exec(R"({"id":"w-1","job":"Slow","driver":"memory","pipeline":"p"})",
                            R"({"sleep":0.5})", [&](const worker::ExecOutcome& o) { done = o; }));
  const auto body = r.workers();
  const auto& w = r.first_worker(body);
  REQUIRE(w.at("job").is_object());
  const auto& job = w.at("job");
  CHECK(job.at("id").as_string() == "w-1");
  CHECK(job.at("job").as_string() == "Slow");
  CHECK(job.at("pipeline").as_string() == "p");
  CHECK(job.at("started_at_ms").to_number<std::int64_t>() > 0);
  CHECK(job.at("running_ms").to_number<std::int64_t>() >= 0);
  CHECK(job.at("progress").as_string() == "half way");
  CHECK(job.at("progress_at_ms").to_number<std::int64_t>() > 0);
  REQUIRE(run_until(r.t.rig.io, [&] { return done.has_value(); }));
  CHECK(r.first_worker(r.workers()).at("job").is_null());
}

TEST_CASE("stopping a worker by pid replaces it; an unknown pid is a 404 naming it",
          "[dashboard][workers]") {
  LiveRig r;
  const int pid = static_cast<int>(r.first_worker(r.workers()).at("pid").to_number<int>());
  const auto stopped = r.post("/api/workers/stop", "{\"pid\":" + std::to_string(pid) + "}");
  REQUIRE(stopped.status == 200);
  CHECK(ApiRig::json(stopped).at("pid").to_number<int>() == pid);
  CHECK(run_until(r.t.rig.io, [&] {
    const auto ws = r.workers().at("pools").at(0).at("workers").as_array();
    return ws.size() == 1 && ws.at(0).at("pid").to_number<int>() != pid &&
           ws.at(0).at("state").as_string() == "ready";
  }));
  const auto unknown = r.post("/api/workers/stop", R"({"pid":999999999})");
  CHECK(unknown.status == 404);
  CHECK_THAT(unknown.body, Catch::Contains("999999999"));
  CHECK(r.post("/api/workers/stop", R"({})").status == 400);
}

TEST_CASE("schedules are listed and paused, resumed, triggered and removed through the RPC",
          "[dashboard][schedules]") {
  ApiRig t;
  const auto list = ApiRig::json(t.get("/api/schedules"));
  REQUIRE(list.at("schedules").as_array().size() == 1);
  const auto& s = list.at("schedules").at(0);
  CHECK(s.at("name").as_string() == "hourly");
  CHECK(s.at("spec").as_string() == "@every 1h");
  CHECK(s.at("paused").as_bool() == false);
  REQUIRE(t.post("/api/schedules/pause", R"({"name":"hourly"})").status == 200);
  CHECK(ApiRig::json(t.get("/api/schedules")).at("schedules").at(0).at("paused").as_bool());
  REQUIRE(t.post("/api/schedules/resume", R"({"name":"hourly"})").status == 200);
  const auto fired = t.post("/api/schedules/trigger", R"({"name":"hourly"})");
  REQUIRE(fired.status == 200);
  CHECK_THAT(std::string(ApiRig::json(fired).at("id").as_string()), Catch::Contains("hourly@"));
  CHECK(ApiRig::json(t.get("/api/schedules")).at("schedules").at(0).at("fired").to_number<int>() ==
        1);
  const auto missing = t.post("/api/schedules/pause", R"({"name":"nope"})");
  CHECK(missing.status == 404);
  CHECK_THAT(missing.body, Catch::Contains("nope"));
  CHECK(t.post("/api/schedules/pause", "{}").status == 400);
  CHECK(t.post("/api/schedules/explode", R"({"name":"hourly"})").status == 404);
  CHECK(t.get("/api/schedules/pause").status == 405);
  REQUIRE(t.post("/api/schedules/remove", R"({"name":"hourly"})").status == 200);
  CHECK(ApiRig::json(t.get("/api/schedules")).at("schedules").as_array().empty());
}

TEST_CASE("a job's result, attempts and progress are looked up by id", "[dashboard][results]") {
  ApiRig t;
  REQUIRE(t.post("/api/push", R"({"pipeline":"p","job":"A","id":"r-1"})").status == 200);
  REQUIRE(t.rig.engine->results()->progress("r-1", "started"));
  t.rig.executor.add_workers(1);
  REQUIRE(run_until(t.rig.io, [&] { return t.rig.executor.calls.size() == 1; }));
  const auto running = ApiRig::json(t.get("/api/result?id=r-1"));
  CHECK(running.at("state").as_string() == "running");
  CHECK(running.at("progress").as_string() == "started");
  worker::ExecOutcome ok;
  ok.kind = worker::ExecOutcome::Kind::kResponse;
  ok.body = R"({"type":0,"data":{"result":{"total":3}}})";
  t.rig.executor.finish(ok, false);
  REQUIRE(run_until(t.rig.io, [&] {
    return ApiRig::json(t.get("/api/result?id=r-1")).at("state").as_string() == "succeeded";
  }));
  const auto done = ApiRig::json(t.get("/api/result?id=r-1"));
  CHECK(done.at("result").at("total").to_number<int>() == 3);
  CHECK(done.at("attempts").to_number<int>() == 1);
  CHECK(ApiRig::json(t.get("/api/result?id=zz")).at("state").as_string() == "unknown");
  CHECK(t.get("/api/result").status == 400);
}
