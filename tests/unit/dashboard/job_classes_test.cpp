// The Metrics page's numbers: per job class outcomes and exec times, from a real engine whose
// jobs run in a real worker (examples/workers/worker.py), and the cap on the number of classes.
#include "unit/dashboard/api_rig.hpp"
#include "unit/worker/worker_test_support.hpp"

#include "config/config_document.hpp"
#include "dashboard/dashboard_api.hpp"
#include "dashboard/rate_history.hpp"
#include "dashboard/request_guard.hpp"
#include "jobs/engine.hpp"
#include "jobs/job_class_stats.hpp"
#include "rpc/method_table.hpp"
#include "support/memory_plugin.hpp"
#include "worker/pool_set.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace json = boost::json;
using coyote::test::ApiRig;
using coyote::test::run_until;
using namespace coyote::host;
using namespace std::chrono_literals;

namespace {

constexpr const char* kClassesYaml = R"(
version: "3"
jobs:
  pool:
    num_workers: 1
  consume: ["p"]
  pipelines:
    p:
      driver: memory
      dead_letter: dlq
      retry:
        max_attempts: 1
)";

/// An engine dispatching to one real Python worker, and the dashboard API over it.
struct WorkerEngineRig {
  WorkerEngineRig()
      : cfg(config::ConfigDocument::parse(kClassesYaml, ".rr.yaml")),
        plugin(cfg),
        pools(io, {coyote::test::test_pool(1)},
              coyote::test::server(coyote::test::python_worker())),
        guard("", "csrf") {
    pools.start();
    REQUIRE(run_until(io, [&] { return pools.pool("")->ready_count() == 1; }));
    jobs::Pools lanes;
    lanes.emplace("", pools.pool(""));
    engine = std::make_unique<jobs::Engine>(io, cfg, plugin.drivers(), std::move(lanes));
    engine->start();
    api = std::make_unique<dashboard::DashboardApi>(*engine, &pools, table, history, guard,
                                                    dashboard::ApiOptions{});
  }
  ~WorkerEngineRig() {
    api.reset();
    engine.reset();
    bool stopped = false;
    pools.stop([&] { stopped = true; });
    run_until(io, [&] { return stopped; });
  }
  WorkerEngineRig(const WorkerEngineRig&) = delete;
  WorkerEngineRig& operator=(const WorkerEngineRig&) = delete;
  WorkerEngineRig(WorkerEngineRig&&) = delete;
  WorkerEngineRig& operator=(WorkerEngineRig&&) = delete;

  void push(const std::string& id, const std::string& name, const std::string& payload) {
    coyote::sdk::Message m;
    m.id = id;
    m.name = name;
    m.payload = payload;
    m.options.pipeline = "p";
    std::optional<coyote::sdk::Status> pushed;
    engine->push(std::move(m), [&pushed](const coyote::sdk::Status& s) { pushed = s; });
    REQUIRE(run_until(io, [&] { return pushed.has_value(); }));
    REQUIRE(pushed->is_ok());
  }
  json::value classes() {
    std::optional<http::Response> out;
    api->handle(ApiRig::request(boost::beast::http::verb::get, "/api/job-classes"),
                [&out](http::Response x) { out = std::move(x); });
    run_until(io, [&] { return out.has_value(); });
    REQUIRE(out.has_value());
    REQUIRE(out->status == 200);
    return json::parse(out->body);
  }
  std::uint64_t answered() const {
    std::uint64_t n = 0;
    for (const auto& r : engine->job_classes().rows()) n += r.entry.processed + r.entry.failed;
    return n;
  }

  config::ConfigDocument cfg;
  coyote::test::MemoryPlugin plugin;
  boost::asio::io_context io;
  worker::PoolSet pools;
  rpc::MethodTable table;
  dashboard::RateHistory history;
  dashboard::RequestGuard guard;
  std::unique_ptr<jobs::Engine> engine;
  std::unique_ptr<dashboard::DashboardApi> api;
};

const json::object* find_class(const json::value& body, std::string_view job) {
  for (const auto& c : body.at("classes").as_array()) {
    if (c.at("job").as_string() == job) return &c.as_object();
  }
  return nullptr;
}

}  // namespace

TEST_CASE("job classes count acked and failed jobs with their exec times, by total time",
          "[dashboard][classes]") {
  WorkerEngineRig r;
  r.push("m-1", "Mailer", R"({"sleep":0.05})");
  r.push("m-2", "Mailer", "{}");
  r.push("m-3", "Mailer", "{}");
  r.push("m-4", "Mailer", R"({"fail":true})");
  r.push("x-1", "<script>alert(1)</script>", "{}");
  REQUIRE(run_until(r.io, [&] { return r.answered() == 5; }));

  const auto body = r.classes();
  CHECK(body.at("since").to_number<std::int64_t>() > 0);
  const auto* mailer = find_class(body, "Mailer");
  REQUIRE(mailer != nullptr);
  CHECK(mailer->at("pipeline").as_string() == "p");
  CHECK(mailer->at("processed").to_number<std::uint64_t>() == 3);
  CHECK(mailer->at("failed").to_number<std::uint64_t>() == 1);
  const double total = mailer->at("exec_seconds_total").to_number<double>();
  const double max = mailer->at("exec_seconds_max").to_number<double>();
  CHECK(total >= 0.05);  // the sleeping job alone took that long
  CHECK(max >= 0.05);
  CHECK(mailer->at("exec_seconds_avg").to_number<double>() == Approx(total / 4));
  CHECK(mailer->at("p50").to_number<double>() <= max);
  CHECK(mailer->at("p95").to_number<double>() <= max);
  CHECK(mailer->at("p95").to_number<double>() >= mailer->at("p50").to_number<double>());

  const auto* script = find_class(body, "<script>alert(1)</script>");
  REQUIRE(script != nullptr);
  CHECK(script->at("processed").to_number<std::uint64_t>() == 1);
  CHECK(script->at("failed").to_number<std::uint64_t>() == 0);

  const auto& list = body.at("classes").as_array();
  REQUIRE(list.size() == 2);
  CHECK(list.at(0).at("job").as_string() == "Mailer");  // the largest total time first
}

TEST_CASE("past the class cap new job names count in one (other) entry", "[dashboard][classes]") {
  jobs::JobClassStats stats(2);
  auto& a = stats.of("p", "A");
  auto& b = stats.of("p", "B");
  auto& c = stats.of("p", "C");
  auto& d = stats.of("q", "A");
  CHECK(&stats.of("p", "A") == &a);
  CHECK(&a != &b);
  CHECK(&c == &d);  // both past the cap: the overflow entry
  CHECK(&c != &a);
  CHECK(stats.size() == 2);
  CHECK(stats.rows().size() == 2);  // the overflow entry shows once used
  a.record(10ms, true);
  c.record(20ms, false);
  d.record(30ms, true);
  const auto rows = stats.rows();
  REQUIRE(rows.size() == 3);
  CHECK(rows.back().pipeline == jobs::JobClassStats::kOtherPipeline);
  CHECK(rows.back().job == jobs::JobClassStats::kOtherJob);
  CHECK(rows.back().entry.processed == 1);
  CHECK(rows.back().entry.failed == 1);
  CHECK(rows.back().entry.exec_max == Approx(0.03));
}

TEST_CASE("the class memo answers a repeated class and follows a change of class",
          "[dashboard][classes]") {
  jobs::JobClassStats stats(2);
  jobs::JobClassStats::Memo memo;
  auto& a = stats.of("p", "A", &memo);
  CHECK(memo.entry == &a);
  CHECK(&stats.of("p", "A", &memo) == &a);
  auto& b = stats.of("p", "B", &memo);
  CHECK(&b != &a);
  CHECK(memo.entry == &b);
  CHECK(&stats.of("q", "B", &memo) != &b);  // same job name, other pipeline: past the cap
  CHECK(memo.entry == &b);                  // the overflow entry is never memoized
  CHECK(&stats.of("p", "A", &memo) == &a);
  CHECK(stats.size() == 2);
}

TEST_CASE("a job class's percentiles interpolate inside the bucket and stop at the max",
          "[dashboard][classes]") {
  jobs::JobClassStats::Entry e;
  CHECK(jobs::JobClassStats::quantile(e.exec, 0.5, e.exec_max) == 0);
  for (int i = 0; i < 10; ++i) e.record(4ms, true);  // bucket (0.0025, 0.005]
  const double p50 = jobs::JobClassStats::quantile(e.exec, 0.5, e.exec_max);
  CHECK(p50 > 0.0025);
  CHECK(p50 <= 0.004);  // capped by the largest value seen
  e.record(2h, false);  // above the last bound: only +Inf
  CHECK(jobs::JobClassStats::quantile(e.exec, 0.99, e.exec_max) == Approx(7200));
}
