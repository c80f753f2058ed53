#include "schedule/schedule_methods.hpp"

#include <boost/json.hpp>

#include <string>
#include <utility>

namespace coyote::host::schedule {
namespace {

namespace json = boost::json;
using rpc::Call;
using rpc::Reply;

sdk::Status parse_request(const Call& call, json::object& out) {
  if (call.codec != rpc::Codec::kJson) {
    return sdk::Status::error(std::string(call.method) + ": jobs.Schedules* take the JSON codec");
  }
  if (call.body.empty()) return sdk::Status::ok();
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(call.body.data(), call.body.size()), ec);
  if (ec) {
    return sdk::Status::error(std::string(call.method) + ": request is not JSON: " + ec.message());
  }
  if (v.is_null()) return sdk::Status::ok();
  if (v.is_string()) {
    out["name"] = v.get_string();
    return sdk::Status::ok();
  }
  if (!v.is_object()) {
    return sdk::Status::error(std::string(call.method) +
                              R"(: request must be an object like {"name":"nightly"})");
  }
  out = std::move(v.get_object());
  return sdk::Status::ok();
}

sdk::Status name_of(const Call& call, const json::object& request, std::string& name) {
  const auto* n = request.if_contains("name");
  if (n == nullptr || !n->is_string() || n->get_string().empty()) {
    return sdk::Status::error(std::string(call.method) +
                              R"(: name the schedule: {"name":"nightly"})");
  }
  name = std::string(n->get_string());
  return sdk::Status::ok();
}

json::value unix_seconds(const std::optional<Clock::time_point>& t) {
  if (!t) return nullptr;
  return std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
}

json::object describe(const ScheduleStatus& s) {
  json::object o = s.definition.to_json();
  o["zone"] = s.zone;
  o["next_fire"] = unix_seconds(s.next_fire);
  o["last_fire"] = unix_seconds(s.last_fire);
  o["last_job_id"] = s.last_job_id;
  o["last_error"] = s.last_error;
  o["fired"] = s.fired;
  o["skipped"] = s.skipped;
  o["failed"] = s.failed;
  return o;
}

/// A method taking {"name"} and answering {} when the scheduler's call is done.
template <typename Op>
void add_named(rpc::MethodTable& table, const std::string& method, Op op) {
  table.add(method, [op](const Call& call, const Reply& reply) {
    json::object request;
    std::string name;
    if (auto s = parse_request(call, request); !s) return reply(std::move(s), {});
    if (auto s = name_of(call, request, name); !s) return reply(std::move(s), {});
    op(name, [reply](const sdk::Status& status) {
      if (!status) return reply(status, {});
      reply(sdk::Status::ok(), "{}");
    });
  });
}

}  // namespace

void add_schedule_methods(rpc::MethodTable& table, Scheduler& scheduler,
                          const jobs::UniqueKeys& keys) {
  table.add("jobs.SchedulesList", [&scheduler, &keys](const Call& call, const Reply& reply) {
    json::object request;
    if (auto s = parse_request(call, request); !s) return reply(std::move(s), {});
    json::array list;
    for (const auto& s : scheduler.list()) list.emplace_back(describe(s));
    reply(sdk::Status::ok(), json::serialize(json::object{{"schedules", std::move(list)},
                                                          {"unique_keys_held", keys.held()},
                                                          {"unique_refused", keys.refused()}}));
  });
  table.add("jobs.SchedulesAdd", [&scheduler](const Call& call, const Reply& reply) {
    json::object request;
    if (auto s = parse_request(call, request); !s) return reply(std::move(s), {});
    auto definition = ScheduleDefinition::from_json(request);
    if (!definition) return reply(definition.status(), {});
    scheduler.add(std::move(*definition), [reply](const sdk::Status& status) {
      if (!status) return reply(status, {});
      reply(sdk::Status::ok(), "{}");
    });
  });
  add_named(table, "jobs.SchedulesRemove",
            [&scheduler](const std::string& name, Scheduler::Done done) {
              scheduler.remove(name, std::move(done));
            });
  add_named(table, "jobs.SchedulesPause",
            [&scheduler](const std::string& name, Scheduler::Done done) {
              scheduler.pause(name, std::move(done));
            });
  add_named(table, "jobs.SchedulesResume",
            [&scheduler](const std::string& name, Scheduler::Done done) {
              scheduler.resume(name, std::move(done));
            });
  table.add("jobs.SchedulesTrigger", [&scheduler](const Call& call, const Reply& reply) {
    json::object request;
    std::string name;
    if (auto s = parse_request(call, request); !s) return reply(std::move(s), {});
    if (auto s = name_of(call, request, name); !s) return reply(std::move(s), {});
    scheduler.trigger(name, [reply](sdk::Result<std::string> id) {
      if (!id) return reply(id.status(), {});
      reply(sdk::Status::ok(), json::serialize(json::object{{"id", *id}}));
    });
  });
}

}  // namespace coyote::host::schedule
