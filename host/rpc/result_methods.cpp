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

sdk::Status parse_object(std::string_view method, std::string_view body, json::object& out) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec || !v.is_object()) {
    return sdk::Status::error(std::string(method) +
                              R"(: request must be a JSON object like {"id":"<job id>"})");
  }
  out = std::move(v.get_object());
  return sdk::Status::ok();
}

sdk::Status json_only(const Call& call) {
  if (call.codec == Codec::kJson) return sdk::Status::ok();
  return sdk::Status::error(std::string(call.method) +
                            ": coyote.* methods take the JSON codec only");
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

sdk::Result<JobResultRequest> parse_job_result_request(std::string_view body) {
  json::object request;
  if (auto s = parse_object("coyote.JobResult", body, request); !s) return s;
  JobResultRequest out;
  out.id = string_field(request, "id");
  if (out.id.empty()) return sdk::Status::error("coyote.JobResult: no job id (set \"id\")");
  std::int64_t wait_ms = 0;
  if (const auto* w = request.if_contains("wait_ms"); w != nullptr) {
    // A uint64 beyond int64 is too long a wait as well.
    if (w->is_int64()) {
      wait_ms = w->get_int64();
    } else if (w->is_uint64()) {
      wait_ms = kMaxResultWait.count() + 1;
    } else {
      return sdk::Status::error("coyote.JobResult: wait_ms must be a whole number of milliseconds");
    }
  }
  if (wait_ms > kMaxResultWait.count()) {
    return sdk::Status::error("coyote.JobResult: wait_ms may be at most " +
                              std::to_string(kMaxResultWait.count()) +
                              " (55 s); poll again for longer waits");
  }
  out.wait = std::chrono::milliseconds(wait_ms);
  return out;
}

sdk::Result<JobProgressRequest> parse_job_progress_request(std::string_view body) {
  json::object request;
  if (auto s = parse_object("coyote.JobProgress", body, request); !s) return s;
  JobProgressRequest out;
  out.id = string_field(request, "id");
  if (const auto* p = request.if_contains("progress"); p != nullptr) {
    out.progress = p->is_string() ? std::string(p->get_string()) : json::serialize(*p);
  }
  return out;
}

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
    if (auto s = json_only(call); !s) return reply(std::move(s), {});
    auto request = parse_job_result_request(call.body);
    if (!request) return reply(request.status(), {});
    results->fetch(request->id, request->wait, [reply](const jobs::JobResult& r) {
      reply(sdk::Status::ok(), encode_job_result(r));
    });
  });
  table.add("coyote.JobProgress", [results](const Call& call, const Reply& reply) {
    if (results == nullptr) return reply(sdk::Status::error(std::string(kResultsOff)), {});
    if (auto s = json_only(call); !s) return reply(std::move(s), {});
    auto request = parse_job_progress_request(call.body);
    if (!request) return reply(request.status(), {});
    auto status = results->progress(request->id, std::move(request->progress));
    if (!status) return reply(std::move(status), {});
    reply(sdk::Status::ok(), "true");
  });
}

}  // namespace coyote::host::rpc
