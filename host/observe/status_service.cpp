#include "observe/status_service.hpp"

#include "observe/status.pb.h"
#include "rpc/go_json.hpp"
#include "status/jobs_health.hpp"
#include "support/loop_thread.hpp"

#include <boost/json.hpp>

#include <map>

namespace coyote::host::observe {
namespace json = boost::json;
namespace {

http::Response to_response(const status::Answer& answer) {
  http::Response r;
  r.status = answer.status;
  r.content_type = answer.content_type;
  r.body = answer.body;
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

StatusService::StatusService(jobs::Engine& engine, worker::PoolSet& pools, StatusSettings settings)
    : engine_(engine), pools_(pools), settings_(std::move(settings)) {}

status::JobsHealth StatusService::jobs_health() {
  status::JobsHealth out;
  const jobs::EngineStats stats = engine_.stats();
  std::map<std::string, bool, std::less<>> consumed_pool;  // pool -> serves a consumed pipeline
  for (const auto& p : stats.pipelines) {
    out.pipelines.push_back({p.name, p.state.ready, p.state.error});
    if (p.state.ready) consumed_pool[p.pool] = true;
  }
  for (const auto& pool : pools_.stats()) {
    status::PoolHealth h;
    h.name = pool.name.empty() ? "default" : pool.name;
    h.configured = pool.target;
    for (const auto& w : pool.workers) {
      if (w.busy) {
        ++h.busy;
      } else if (w.state == worker::WorkerState::kReady) {
        ++h.idle;
      }
    }
    h.serves_consumed = consumed_pool.contains(pool.name);
    out.pools.push_back(std::move(h));
  }
  return out;
}

status::Checks StatusService::checks(bool ready) {
  COYOTE_ASSERT_LOOP_THREAD();
  const status::JobsHealth health = jobs_health();
  status::Checks out;
  out.emplace("jobs", ready ? status::jobs_ready(health, settings_.ready_rule)
                            : status::jobs_status(health));
  return out;
}

void StatusService::add_routes(http::Router& router) {
  const unsigned unavailable = settings_.unavailable_status_code;
  router.add("/health", http::SimpleHandler([this, unavailable](const http::Request& r) {
               return to_response(status::health_answer(checks(false), r.query_values("plugin"),
                                                        unavailable, shutting_down_));
             }));
  router.add("/ready", http::SimpleHandler([this, unavailable](const http::Request& r) {
               return to_response(status::ready_answer(checks(true), r.query_values("plugin"),
                                                       unavailable, shutting_down_));
             }));
  router.add("/jobs", http::SimpleHandler([this, unavailable](const http::Request&) {
               auto states = engine_.stat();
               std::optional<std::vector<sdk::State>> given;
               if (states) given = std::move(*states);
               return to_response(status::jobs_answer(given, unavailable, shutting_down_));
             }));
}

void StatusService::add_methods(rpc::MethodTable& table) {
  for (const bool ready : {false, true}) {
    table.add(ready ? "status.Ready" : "status.Status", [this, ready](const rpc::Call& call,
                                                                      const rpc::Reply& reply) {
      std::string plugin;
      if (call.codec == rpc::Codec::kProto) {
        ::status::v1::Request request;
        if (!request.ParseFromArray(call.body.data(), static_cast<int>(call.body.size()))) {
          reply(sdk::Status::error("status.v1.Request: malformed protobuf"), {});
          return;
        }
        plugin = request.plugin();
      } else if (call.codec == rpc::Codec::kJson) {
        json::value v;
        if (auto s = rpc::go_json::parse(call.body, v); !s) return reply(s, {});
        if (const auto* obj = v.if_object()) {
          if (const auto* p = obj->if_contains("plugin"); p && p->is_string()) {
            plugin.assign(p->get_string().data(), p->get_string().size());
          }
        }
      } else {
        reply(sdk::Status::error(std::string(call.method) +
                                 " takes status.v1.Request (proto) or JSON"),
              {});
        return;
      }
      auto answer = status::rpc_reply(checks(ready), plugin);
      if (!answer) return reply(sdk::Status::error(answer.error()), {});
      if (call.codec == rpc::Codec::kProto) {
        ::status::v1::Response out;
        out.set_code(answer->code);
        out.set_message(answer->message);
        return reply(sdk::Status::ok(), out.SerializeAsString());
      }
      json::object out;
      out["code"] = answer->code;
      out["message"] = answer->message;
      reply(sdk::Status::ok(), json::serialize(out));
    });
  }
}

}  // namespace coyote::host::observe
