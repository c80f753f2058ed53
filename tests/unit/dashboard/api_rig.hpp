// ApiRig: a DashboardApi over a real engine (memory plugin), the RPC's dead-letter methods and
// hand-built HTTP requests, answered synchronously by polling the loop.
#pragma once

#include "dashboard/dashboard_api.hpp"
#include "rpc/dead_letter_methods.hpp"
#include "rpc/method_table.hpp"
#include "rpc/result_methods.hpp"
#include "schedule/schedule_methods.hpp"
#include "schedule/scheduler.hpp"
#include "support/wait.hpp"
#include "unit/observe/observe_rig.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace coyote::test {

inline constexpr const char* kDashboardYaml = R"(
version: "3"
jobs:
  pool:
    num_workers: 0
  consume: ["p"]
  results:
    ttl: 1h
  pipelines:
    p:
      driver: memory
      dead_letter: dlq
      retry:
        max_attempts: 1
    other:
      driver: memory
)";

inline constexpr const char* kCsrf = "csrf-token-for-tests";

struct ApiRig {
  explicit ApiRig(std::string token = "")
      : rig(kDashboardYaml),
        scheduler(make_scheduler(rig)),
        guard(std::move(token), kCsrf),
        api(*rig.engine, &rig.pools, methods(), history, guard,
            host::dashboard::ApiOptions{.version = "9.9.9"}) {}

  ~ApiRig() { scheduler->stop(); }
  ApiRig(const ApiRig&) = delete;
  ApiRig& operator=(const ApiRig&) = delete;
  ApiRig(ApiRig&&) = delete;
  ApiRig& operator=(ApiRig&&) = delete;

  /// One hourly schedule "hourly" on pipeline p, started.
  static std::unique_ptr<host::schedule::Scheduler> make_scheduler(ObserveRig& r) {
    host::schedule::ScheduleDefinition d;
    d.name = "hourly";
    d.spec = "@every 1h";
    d.pipeline = "p";
    d.job = "Tick";
    d.payload = "{}";
    std::vector<host::schedule::ScheduleDefinition> list;
    list.push_back(std::move(d));
    auto s = std::make_unique<host::schedule::Scheduler>(r.io, *r.engine, nullptr, std::move(list));
    bool ready = false;
    s->start([&ready] { ready = true; });
    run_until(r.io, [&] { return ready; });
    return s;
  }

  host::rpc::MethodTable& methods() {
    host::rpc::add_dead_letter_methods(table, rig.engine->dead_letters());
    host::schedule::add_schedule_methods(table, *scheduler, rig.engine->unique_keys());
    host::rpc::add_result_methods(table, rig.engine->results());
    return table;
  }

  static host::http::Request request(boost::beast::http::verb verb, std::string target,
                                     std::string body = {}, bool csrf = true) {
    host::http::Request r;
    r.message.method(verb);
    r.message.target(target);
    r.message.set(boost::beast::http::field::host, "test");
    if (!body.empty()) r.message.set(boost::beast::http::field::content_type, "application/json");
    if (csrf && verb == boost::beast::http::verb::post) r.message.set("X-Coyote-CSRF", kCsrf);
    r.message.body() = std::move(body);
    r.message.prepare_payload();
    return r;
  }

  host::http::Response send(const host::http::Request& r) {
    std::optional<host::http::Response> out;
    api.handle(r, [&out](host::http::Response x) { out = std::move(x); });
    run_until(rig.io, [&] { return out.has_value(); });
    REQUIRE(out.has_value());
    return std::move(*out);
  }
  host::http::Response get(std::string target) {
    return send(request(boost::beast::http::verb::get, std::move(target)));
  }
  host::http::Response post(std::string target, std::string body) {
    return send(request(boost::beast::http::verb::post, std::move(target), std::move(body)));
  }
  static boost::json::value json(const host::http::Response& r) {
    return boost::json::parse(r.body);
  }

  ObserveRig rig;
  std::unique_ptr<host::schedule::Scheduler> scheduler;
  host::rpc::MethodTable table;
  host::dashboard::RateHistory history;
  host::dashboard::RequestGuard guard;
  host::dashboard::DashboardApi api;
};

}  // namespace coyote::test
