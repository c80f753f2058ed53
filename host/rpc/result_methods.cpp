#include "rpc/result_methods.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <string>
#include <utility>

namespace coyote::host::rpc {
namespace {

namespace json = boost::json;

constexpr std::string_view kResultsOff =
    "results are off on this host: add a jobs.results section to .rr.yaml (e.g. "
    "jobs.results.ttl: 1h) and restart";

sdk::Status parse_object(const Call& call, json::object& out) {
  if (call.codec != Codec::kJson) {
    return sdk::Status::error(std::string(call.method) +
                              ": coyote.* methods take the JSON codec only");
  }
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(call.body.data(), call.body.size()), ec);
  if (ec || !v.is_object()) {
    return sdk::Status::error(std::string(call.method) +
                              R"(: request must be a JSON object like {"id":"<job id>"})");
  }
  out = std::move(v.get_object());
  return sdk::Status::ok();
}

std::string string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::int64_t ms_since_epoch(std::chrono::system_clock::time_point t) {
  if (t == std::chrono::system_clock::time_point{}) return 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string encode_job_result(const jobs::JobResult& r) {
  json::object o;
  o["id"] = r.id;
  o["state"] = std::string(jobs::state_name(r.state));
  if (!r.pipeline.empty()) o["pipeline"] = r.pipeline;
  json::value result = nullptr;
  if (!r.result.empty()) {
    boost::system::error_code ec;
    result = json::parse(r.result, ec);
    if (ec) result = r.result;  // stored by us from JSON: cannot happen; shown as text if it did
  }
  o["result"] = std::move(result);
  o["error"] = r.error;
  o["attempts"] = r.attempts;
  o["progress"] = r.progress;
  o["finished_at_ms"] = ms_since_epoch(r.finished);
  o["progress_at_ms"] = ms_since_epoch(r.progressed);
  return json::serialize(o);
}

void add_result_methods(MethodTable& table, jobs::ResultStore* results) {
  table.add("coyote.JobResult", [results](const Call& call, const Reply& reply) {
    if (results == nullptr) return reply(sdk::Status::error(std::string(kResultsOff)), {});
    json::object request;
    if (auto s = parse_object(call, request); !s) return reply(std::move(s), {});
    const std::string id = string_field(request, "id");
    if (id.empty())
      return reply(sdk::Status::error("coyote.JobResult: no job id (set \"id\")"), {});
    std::int64_t wait_ms = 0;
    if (const auto* w = request.if_contains("wait_ms"); w != nullptr) {
      if (!w->is_int64() && !w->is_uint64()) {
        return reply(sdk::Status::error("coyote.JobResult: wait_ms must be a whole number of "
                                        "milliseconds"),
                     {});
      }
      wait_ms = w->is_int64() ? w->get_int64() : static_cast<std::int64_t>(w->get_uint64());
    }
    if (wait_ms > kMaxResultWait.count()) {
      return reply(sdk::Status::error("coyote.JobResult: wait_ms may be at most " +
                                      std::to_string(kMaxResultWait.count()) +
                                      " (55 s); poll again for longer waits"),
                   {});
    }
    results->fetch(id, std::chrono::milliseconds(wait_ms), [reply](const jobs::JobResult& r) {
      reply(sdk::Status::ok(), encode_job_result(r));
    });
  });
  table.add("coyote.JobProgress", [results](const Call& call, const Reply& reply) {
    if (results == nullptr) return reply(sdk::Status::error(std::string(kResultsOff)), {});
    json::object request;
    if (auto s = parse_object(call, request); !s) return reply(std::move(s), {});
    std::string progress;
    if (const auto* p = request.if_contains("progress"); p != nullptr) {
      progress = p->is_string() ? std::string(p->get_string()) : json::serialize(*p);
    }
    auto status = results->progress(string_field(request, "id"), std::move(progress));
    if (!status) return reply(std::move(status), {});
    reply(sdk::Status::ok(), "true");
  });
}

}  // namespace coyote::host::rpc
