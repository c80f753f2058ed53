#include "dashboard/dashboard_api.hpp"

#include "jobs/delay_limit.hpp"
#include "jobs/engine.hpp"
#include "jobs/result_store.hpp"
#include "rpc/method_table.hpp"
#include "rpc/request.hpp"
#include "worker/pool_set.hpp"
#include "worker/worker_pool.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

namespace coyote::host::dashboard {
namespace {

namespace json = boost::json;

std::int64_t unix_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

http::Response ok_json(const json::value& v) {
  return http::Response::json(200, json::serialize(v));
}

/// The body as a JSON object; an empty body is an empty object.
sdk::Status parse_object(const std::string& body, json::object& out) {
  if (body.empty()) return sdk::Status::ok();
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return sdk::Status::error("the body is not JSON: " + ec.message());
  if (!v.is_object()) return sdk::Status::error("the body must be a JSON object");
  out = std::move(v.get_object());
  return sdk::Status::ok();
}

std::string string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return (v != nullptr && v->is_string()) ? std::string(v->get_string()) : std::string();
}

std::int64_t integer_field(const json::object& o, std::string_view key, std::int64_t fallback) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return fallback;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_string()) {
    std::int64_t n = fallback;
    const auto s = v->get_string();
    std::from_chars(s.data(), s.data() + s.size(), n);
    return n;
  }
  return fallback;
}

/// "pipelines": ["a", "b"] or "pipeline": "a".
std::vector<std::string> pipeline_names(const json::object& o) {
  std::vector<std::string> names;
  if (const auto* list = o.if_contains("pipelines"); list != nullptr && list->is_array()) {
    for (const auto& v : list->get_array()) {
      if (v.is_string()) names.emplace_back(v.get_string());
    }
  }
  if (auto one = string_field(o, "pipeline"); !one.empty()) names.push_back(std::move(one));
  return names;
}

std::size_t query_number(const http::Request& r, std::string_view key, std::size_t fallback) {
  const auto values = r.query_values(key);
  if (values.empty()) return fallback;
  std::size_t n = fallback;
  const auto& s = values.front();
  std::from_chars(s.data(), s.data() + s.size(), n);
  return n;
}

std::string query_string(const http::Request& r, std::string_view key) {
  auto values = r.query_values(key);
  return values.empty() ? std::string() : std::move(values.front());
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>((c >= 'A' && c <= 'Z') ? c + 32 : c);
  });
  return out;
}

bool valid_utf8_text(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
      if (c == 0x7f) return false;
      ++i;
      continue;
    }
    std::size_t extra = 0;
    if ((c & 0xE0U) == 0xC0U && c >= 0xC2) {
      extra = 1;
    } else if ((c & 0xF0U) == 0xE0U) {
      extra = 2;
    } else if ((c & 0xF8U) == 0xF0U && c <= 0xF4) {
      extra = 3;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0U) != 0x80U) return false;
    }
    i += extra + 1;
  }
  return true;
}

json::object describe_dead(const std::string& store, const jobs::DeadJob& job) {
  return json::object{
      {"store", store},
      {"id", job.message.id},
      {"job", job.message.name},
      {"origin", job.origin},
      {"attempts", job.attempts},
      {"error", job.last_error},
      {"dead_at", unix_ms(job.dead_at) / 1000},
      {"size", job.message.payload.size()},
  };
}

/// What a busy worker runs, from the context the pool sent it (every driver's context has id,
/// job and pipeline); the latest check-in from the result store when results are on.
json::object describe_running(const worker::WorkerInfo& w, jobs::ResultStore* results,
                              std::int64_t now_ns) {
  json::object o;
  boost::system::error_code ec;
  const json::value context = json::parse(w.job_context, ec);
  const json::object* c = (!ec && context.is_object()) ? &context.get_object() : nullptr;
  const auto field = [c](std::string_view key) {
    return c != nullptr ? string_field(*c, key) : std::string();
  };
  o["id"] = field("id");
  o["job"] = field("job");
  o["pipeline"] = field("pipeline");
  o["started_at_ms"] = w.job_started_ns / 1'000'000;
  o["running_ms"] = std::max<std::int64_t>(0, (now_ns - w.job_started_ns) / 1'000'000);
  o["progress"] = nullptr;
  o["progress_at_ms"] = nullptr;
  const std::string id = field("id");
  if (results != nullptr && !id.empty()) {
    // wait 0 answers now, from the store.
    results->fetch(id, std::chrono::milliseconds(0), [&o](const jobs::JobResult& r) {
      if (r.progressed == std::chrono::system_clock::time_point{}) return;
      o["progress"] = r.progress;
      o["progress_at_ms"] = unix_ms(r.progressed);
    });
  }
  return o;
}

/// A reply of an RPC handler answered as the endpoint's: its JSON as is, or its error with
/// 404 when it names something missing.
void forward(const rpc::MethodTable& rpc, const std::string& method, const std::string& body,
             const DashboardApi::Answer& answer) {
  const rpc::Call call{rpc::Codec::kJson, method, body};
  rpc.dispatch(call, [answer](const sdk::Status& status, const std::string& reply) {
    if (!status) {
      const auto& m = status.message();
      const bool missing = m.starts_with("no schedule") || m.starts_with("rpc: can't find");
      return answer(json_error(missing ? 404 : 400, m));
    }
    answer(http::Response::json(200, reply));
  });
}

}  // namespace

bool is_action(std::string_view path) noexcept {
  if (path == "/api/push") return true;
  if (path == "/api/dead/job") return false;
  return path.starts_with("/api/pipelines/") || path.starts_with("/api/workers/") ||
         path.starts_with("/api/dead/") || path.starts_with("/api/schedules/");
}

PayloadPreview preview_payload(std::string_view payload, std::size_t cap) {
  PayloadPreview out;
  std::string_view shown = payload.substr(0, std::min(cap, payload.size()));
  out.truncated = shown.size() < payload.size();
  // A cut through a multi-byte character must not turn text into "binary".
  if (out.truncated) {
    std::size_t back = 0;
    while (back < 3 && back < shown.size() &&
           (static_cast<unsigned char>(shown[shown.size() - 1 - back]) & 0xC0U) == 0x80U) {
      ++back;
    }
    if (back < shown.size() && static_cast<unsigned char>(shown[shown.size() - 1 - back]) >= 0xC0) {
      shown.remove_suffix(back + 1);
    }
  }
  if (valid_utf8_text(shown)) {
    out.encoding = "text";
    out.data = std::string(shown);
    return out;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out.encoding = "hex";
  shown = payload.substr(0, std::min(cap, payload.size()));
  out.data.reserve(shown.size() * 2);
  for (const char ch : shown) {
    const auto b = static_cast<unsigned char>(ch);
    out.data += kHex[b >> 4U];
    out.data += kHex[b & 15U];
  }
  return out;
}

DashboardApi::DashboardApi(jobs::Engine& engine, worker::PoolSet* pools,
                           const rpc::MethodTable& rpc, const RateHistory& history,
                           const RequestGuard& guard, ApiOptions options)
    : engine_(engine),
      pools_(pools),
      rpc_(rpc),
      history_(history),
      guard_(guard),
      options_(std::move(options)) {}

RateHistory::Sample DashboardApi::sample() const {
  const auto& c = engine_.counters();
  RateHistory::Sample s;
  s.unix_ms = unix_ms(std::chrono::system_clock::now());
  s.pushed = c.push_ok;
  s.processed = c.jobs_ok;
  s.failed = c.jobs_err;
  return s;
}

void DashboardApi::handle(const http::Request& request, const Answer& answer) {
  std::string_view path = request.path();
  // By path, not method: a GET of an action and a POST of a read both get 405.
  const bool post = is_action(path);
  if (auto refused = guard_.check(request, post)) return answer(std::move(*refused));
  try {
    if (post) return post_request(path, request, answer);
    get_request(path, request, answer);
  } catch (const std::exception& e) {
    answer(json_error(500, e.what()));
  }
}

void DashboardApi::get_request(std::string_view path, const http::Request& request,
                               const Answer& answer) {
  if (path == "/api/session") {
    return answer(ok_json(json::object{
        {"csrf", guard_.csrf()}, {"version", options_.version}, {"auth", guard_.authenticates()}}));
  }
  if (path == "/api/overview") return answer(http::Response::json(200, overview_json(true)));
  if (path == "/api/pipelines") return answer(pipelines_json());
  if (path == "/api/workers") return answer(workers_json());
  if (path == "/api/job-classes") return answer(job_classes_json());
  if (path == "/api/dead") return answer(dead_list(request));
  if (path == "/api/dead/job") return answer(dead_job(request));
  if (path == "/api/schedules") return forward(rpc_, "jobs.SchedulesList", "{}", answer);
  if (path == "/api/result") {
    const std::string id = query_string(request, "id");
    if (id.empty()) return answer(json_error(400, "give ?id=<job id>"));
    // wait_ms 0: the RPC handler answers at once with what the store knows.
    return forward(rpc_, "coyote.JobResult", json::serialize(json::object{{"id", id}}), answer);
  }
  answer(json_error(404, "no such endpoint: " + std::string(path) + " (see docs/dashboard.md)"));
}

void DashboardApi::post_request(std::string_view path, const http::Request& request,
                                const Answer& answer) {
  const std::string& body = request.message.body();
  constexpr std::string_view kPipelines = "/api/pipelines/";
  constexpr std::string_view kWorkers = "/api/workers/";
  constexpr std::string_view kDead = "/api/dead/";
  if (path.starts_with(kPipelines)) {
    return pipelines_action(path.substr(kPipelines.size()), body, answer);
  }
  if (path.starts_with(kWorkers)) return workers_action(path.substr(kWorkers.size()), body, answer);
  if (path.starts_with(kDead)) return dead_action(path.substr(kDead.size()), body, answer);
  constexpr std::string_view kSchedules = "/api/schedules/";
  if (path.starts_with(kSchedules)) {
    return schedules_action(path.substr(kSchedules.size()), body, answer);
  }
  if (path == "/api/push") return push(body, answer);
  answer(json_error(404, "no such action: " + std::string(path) + " (see docs/dashboard.md)"));
}

std::string DashboardApi::overview_json(bool with_history) {
  const auto stats = engine_.stats();
  const auto& c = engine_.counters();
  std::int64_t delayed = 0;
  std::int64_t reserved = 0;
  std::int64_t active = 0;
  std::size_t paused = 0;
  std::size_t errored = 0;
  for (const auto& p : stats.pipelines) {
    delayed += p.state.delayed;
    reserved += p.state.reserved;
    active += p.state.active;
    if (!p.state.ready) ++paused;
    if (!p.state.error.empty()) ++errored;
  }
  std::size_t dead = 0;
  for (const auto& d : stats.dead_stores) dead += d.held;
  std::size_t workers = 0;
  std::size_t busy = 0;
  if (pools_ != nullptr) {
    for (const auto& pool : pools_->stats()) {
      workers += pool.workers.size();
      for (const auto& w : pool.workers) busy += w.busy ? 1 : 0;
    }
  }
  const auto now = std::chrono::system_clock::now();
  const auto rate = [](const RateHistory::Point& p) {
    return json::object{
        {"t", p.unix_ms}, {"pushed", p.pushed}, {"processed", p.processed}, {"failed", p.failed}};
  };
  json::object o{
      {"version", options_.version},
      {"now", unix_ms(now)},
      {"started_at", unix_ms(options_.started) / 1000},
      {"uptime_seconds",
       std::chrono::duration_cast<std::chrono::seconds>(now - options_.started).count()},
      {"totals", json::object{{"pushed", c.push_ok},
                              {"push_errors", c.push_err},
                              {"processed", c.jobs_ok},
                              {"failed", c.jobs_err},
                              {"retried", c.jobs_retried},
                              {"requeued", c.jobs_requeue},
                              {"dead", c.jobs_dead},
                              {"dropped", c.jobs_dropped}}},
      {"queued", engine_.queued()},
      {"in_flight", engine_.in_flight()},
      {"active", active},
      {"delayed", delayed},
      {"reserved", reserved},
      {"dead_letters", dead},
      {"pipelines",
       json::object{{"total", stats.pipelines.size()}, {"paused", paused}, {"errors", errored}}},
      {"workers", json::object{{"total", workers}, {"busy", busy}}},
      {"rate", rate(history_.latest())},
  };
  if (with_history) {
    json::array points;
    for (const auto& p : history_.points()) points.emplace_back(rate(p));
    o["history"] = std::move(points);
  }
  return json::serialize(o);
}

http::Response DashboardApi::pipelines_json() {
  const auto stats = engine_.stats();
  json::array out;
  for (const auto& p : stats.pipelines) {
    out.emplace_back(json::object{
        {"name", p.name},
        {"driver", p.driver},
        {"pool", p.pool},
        {"queue", p.state.queue},
        {"priority", p.state.priority},
        {"state", p.state.ready ? "active" : "paused"},
        {"ready", p.state.ready},
        {"active", p.state.active},
        {"delayed", p.state.delayed},
        {"reserved", p.state.reserved},
        {"queued", p.queued},
        {"in_flight", p.in_flight},
        {"oldest_queued_seconds", p.oldest_queued},
        {"pushed", p.counters.push_ok},
        {"processed", p.counters.jobs_ok},
        {"failed", p.counters.jobs_err},
        {"dead", p.counters.jobs_dead},
        {"error", p.state.error},
    });
  }
  return ok_json(json::object{{"pipelines", std::move(out)}});
}

http::Response DashboardApi::job_classes_json() const {
  const auto& stats = engine_.job_classes();
  auto rows = stats.rows();
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    if (a.entry.exec.sum() != b.entry.exec.sum()) return a.entry.exec.sum() > b.entry.exec.sum();
    return std::tie(a.pipeline, a.job) < std::tie(b.pipeline, b.job);
  });
  json::array out;
  for (const auto& r : rows) {
    const auto& e = r.entry;
    const std::uint64_t n = e.exec.count();
    out.emplace_back(json::object{
        {"pipeline", r.pipeline},
        {"job", r.job},
        {"processed", e.processed},
        {"failed", e.failed},
        {"exec_seconds_total", e.exec.sum()},
        {"exec_seconds_avg", n > 0 ? e.exec.sum() / static_cast<double>(n) : 0.0},
        {"exec_seconds_max", e.exec_max},
        {"p50", jobs::JobClassStats::quantile(e.exec, 0.5, e.exec_max)},
        {"p95", jobs::JobClassStats::quantile(e.exec, 0.95, e.exec_max)},
    });
  }
  return ok_json(json::object{{"classes", std::move(out)},
                              {"since", unix_ms(stats.since()) / 1000},
                              {"max_classes", stats.max_classes()}});
}

http::Response DashboardApi::workers_json() const {
  json::array pools;
  if (pools_ != nullptr) {
    const auto infos = pools_->workers();
    const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    for (const auto& stats : pools_->stats()) {
      std::map<int, bool> busy;
      for (const auto& w : stats.workers) busy[w.pid] = w.busy;
      json::array workers;
      for (const auto& w : infos) {
        if (w.pool != stats.name) continue;
        const auto it = busy.find(w.pid);
        json::value job = nullptr;
        if (!w.job_context.empty()) job = describe_running(w, engine_.results(), now_ns);
        workers.emplace_back(json::object{
            {"pid", w.pid},
            {"state", w.status_str},
            {"busy", it != busy.end() && it->second},
            {"execs", w.num_execs},
            {"rss", w.memory_usage},
            {"cpu_percent", w.cpu_percent},
            {"created_at", w.created_ns / 1'000'000'000},
            {"age_seconds", w.created_ns > 0 ? (now_ns - w.created_ns) / 1'000'000'000 : 0},
            {"command", w.command},
            {"job", std::move(job)},
        });
      }
      const auto* pool = pools_->pool(stats.name);
      json::object restarts;
      for (std::size_t i = 0; i < worker::kRestartCauses; ++i) {
        restarts[worker::restart_cause_name(static_cast<worker::RestartCause>(i))] =
            stats.restarts.at(i);
      }
      pools.emplace_back(json::object{
          {"name", stats.name},
          {"target", stats.target},
          {"last_error", pool != nullptr ? pool->last_error() : std::string()},
          {"restarts", std::move(restarts)},
          {"workers", std::move(workers)},
      });
    }
  }
  return ok_json(json::object{{"pools", std::move(pools)},
                              {"actions", json::array{"reset", "add", "remove", "stop"}}});
}

http::Response DashboardApi::dead_list(const http::Request& request) const {
  auto& dead = engine_.dead_letters();
  const std::string store = query_string(request, "store");
  const std::string filter = lower(query_string(request, "q"));
  const std::size_t offset = query_number(request, "offset", 0);
  const std::size_t limit = std::clamp<std::size_t>(query_number(request, "limit", 50), 1, 500);
  json::array stores;
  json::array jobs;
  std::size_t total = 0;
  for (const auto& name : dead.dead_stores()) {
    auto list = dead.dead_list(name);
    stores.emplace_back(json::object{{"name", name}, {"held", list.size()}});
    if (!store.empty() && name != store) continue;
    // Newest first, as the operator looks for what just died.
    for (std::size_t k = list.size(); k-- > 0;) {
      const jobs::DeadJob& job = list[k];
      if (!filter.empty()) {
        const std::string hay = lower(job.message.id + '\n' + job.message.name + '\n' + job.origin +
                                      '\n' + job.last_error);
        if (hay.find(filter) == std::string::npos) continue;
      }
      if (total >= offset && jobs.size() < limit) jobs.emplace_back(describe_dead(name, job));
      ++total;
    }
  }
  return ok_json(json::object{{"stores", std::move(stores)},
                              {"total", total},
                              {"offset", offset},
                              {"limit", limit},
                              {"jobs", std::move(jobs)}});
}

http::Response DashboardApi::dead_job(const http::Request& request) const {
  auto& dead = engine_.dead_letters();
  const std::string store = query_string(request, "store");
  const std::string id = query_string(request, "id");
  if (id.empty()) return json_error(400, "give ?id=<dead job id> (and &store=<store>)");
  for (const auto& name : dead.dead_stores()) {
    if (!store.empty() && name != store) continue;
    for (const auto& job : dead.dead_list(name)) {
      if (job.message.id != id) continue;
      json::object o = describe_dead(name, job);
      json::object headers;
      for (const auto& [key, values] : job.message.headers) {
        json::array list;
        for (const auto& v : values) list.emplace_back(v);
        headers[key] = std::move(list);
      }
      o["headers"] = std::move(headers);
      const auto preview = preview_payload(job.message.payload, options_.payload_preview);
      o["payload"] = json::object{{"encoding", preview.encoding},
                                  {"data", preview.data},
                                  {"truncated", preview.truncated},
                                  {"size", job.message.payload.size()}};
      o["pipeline_priority"] = job.message.options.priority;
      return ok_json(o);
    }
  }
  return json_error(404, "no dead job \"" + id + "\"" +
                             (store.empty() ? std::string() : " in store \"" + store + "\""));
}

void DashboardApi::pipelines_action(std::string_view action, const std::string& body,
                                    const Answer& answer) {
  json::object request;
  if (auto s = parse_object(body, request); !s) return answer(json_error(400, s.message()));
  if (action == "declare") {
    // A flat string map as jobs.Declare takes (driver, name, priority, driver options...).
    const json::value* source = request.if_contains("options");
    const json::object& fields =
        (source != nullptr && source->is_object()) ? source->get_object() : request;
    std::map<std::string, std::string> options;
    for (const auto& [key, value] : fields) {
      if (value.is_string()) {
        options[std::string(key)] = std::string(value.get_string());
      } else if (value.is_primitive() && !value.is_null()) {
        options[std::string(key)] = json::serialize(value);
      } else {
        return answer(json_error(
            400, "option \"" + std::string(key) + "\" must be a string, number or boolean"));
      }
    }
    if (auto s = engine_.declare(options); !s) return answer(json_error(400, s.message()));
    return answer(ok_json(
        json::object{{"declared", options.contains("name") ? options["name"] : options["queue"]}}));
  }
  const auto names = pipeline_names(request);
  if (names.empty()) {
    return answer(json_error(400, R"(name the pipelines: {"pipelines":["name"]})"));
  }
  json::array done;
  for (const auto& n : names) done.emplace_back(n);
  if (action == "pause" || action == "resume") {
    const auto s = action == "pause" ? engine_.pause(names) : engine_.resume(names);
    if (!s) return answer(json_error(400, s.message()));
    return answer(ok_json(json::object{{"done", std::move(done)}}));
  }
  if (action == "destroy") {
    const auto removed = engine_.destroy(names);
    if (!removed) return answer(json_error(400, removed.status().message()));
    json::array list;
    for (const auto& n : removed.value()) list.emplace_back(n);
    return answer(ok_json(json::object{{"done", std::move(list)}}));
  }
  answer(json_error(404, "no pipeline action \"" + std::string(action) +
                             "\"; use pause, resume, destroy or declare"));
}

void DashboardApi::workers_action(std::string_view action, const std::string& body,
                                  const Answer& answer) {
  json::object request;
  if (auto s = parse_object(body, request); !s) return answer(json_error(400, s.message()));
  if (pools_ == nullptr) return answer(json_error(409, "this host has no worker pool"));
  if (action == "stop") return stop_worker(request, answer);
  const std::string name = string_field(request, "pool");
  worker::WorkerPool* pool = pools_->pool(name);
  if (pool == nullptr) {
    return answer(json_error(404, "no worker pool \"" + name + R"(" ("" is jobs.pool))"));
  }
  if (action == "reset") {
    pool->reset([answer, name](const sdk::Status& s) {
      if (!s) return answer(json_error(409, s.message()));
      answer(ok_json(json::object{{"reset", name}}));
    });
    return;
  }
  if (action == "add" || action == "remove") {
    const auto s = action == "add" ? pool->add_worker() : pool->remove_worker();
    if (!s) return answer(json_error(409, s.message()));
    return answer(ok_json(json::object{{"pool", name}, {"target", pool->stats().target}}));
  }
  answer(json_error(
      404, "no worker action \"" + std::string(action) + "\"; use reset, add, remove or stop"));
}

void DashboardApi::stop_worker(const json::object& request, const Answer& answer) {
  const std::int64_t pid = integer_field(request, "pid", 0);
  if (pid <= 0) return answer(json_error(400, R"(give the worker's pid: {"pid":1234})"));
  const auto* kill = request.if_contains("kill");
  const bool force = kill != nullptr && kill->is_bool() && kill->get_bool();
  for (const auto& name : pools_->names()) {
    worker::WorkerPool* pool = pools_->pool(name);
    bool has = false;
    for (const auto& w : pool->stats().workers) has = has || w.pid == pid;
    if (!has) continue;
    if (auto s = pool->stop_worker(static_cast<int>(pid), force); !s) {
      return answer(json_error(409, s.message()));
    }
    return answer(ok_json(json::object{{"pool", name}, {"pid", pid}, {"killed", force}}));
  }
  answer(json_error(404, "no worker with pid " + std::to_string(pid) +
                             " in any pool (it may have exited already; see /api/workers)"));
}

void DashboardApi::schedules_action(std::string_view action, const std::string& body,
                                    const Answer& answer) {
  // The RPC's own handlers (jobs.Schedules*), as `coyote schedules ...` calls them.
  std::string method;
  if (action == "pause") {
    method = "jobs.SchedulesPause";
  } else if (action == "resume") {
    method = "jobs.SchedulesResume";
  } else if (action == "trigger") {
    method = "jobs.SchedulesTrigger";
  } else if (action == "remove") {
    method = "jobs.SchedulesRemove";
  } else {
    return answer(json_error(404, "no schedule action \"" + std::string(action) +
                                      "\"; use pause, resume, trigger or remove"));
  }
  json::object request;
  if (auto s = parse_object(body, request); !s) return answer(json_error(400, s.message()));
  if (string_field(request, "name").empty()) {
    return answer(json_error(400, R"(name the schedule: {"name":"nightly"})"));
  }
  forward(rpc_, method, body, answer);
}

void DashboardApi::dead_action(std::string_view action, const std::string& body,
                               const Answer& answer) {
  // The RPC's own handlers (coyote.DeadReplay / coyote.DeadDelete): the same store selection,
  // id lookup and per-id report as `coyote jobs dead replay|delete`.
  std::string method;
  if (action == "replay") {
    method = "coyote.DeadReplay";
  } else if (action == "delete") {
    method = "coyote.DeadDelete";
  } else {
    return answer(json_error(404, "no dead-letter action \"" + std::string(action) +
                                      R"("; use replay or delete (with "ids" or "all"))"));
  }
  json::object request;
  if (auto s = parse_object(body, request); !s) return answer(json_error(400, s.message()));
  const std::string text = body.empty() ? std::string("{}") : body;
  rpc::Call call{rpc::Codec::kJson, method, text};
  rpc_.dispatch(call, [answer](const sdk::Status& status, const std::string& reply) {
    if (!status) return answer(json_error(400, status.message()));
    answer(http::Response::json(200, reply));
  });
}

void DashboardApi::push(const std::string& body, const Answer& answer) {
  json::object request;
  if (auto s = parse_object(body, request); !s) return answer(json_error(400, s.message()));
  sdk::Message m;
  m.options.pipeline = string_field(request, "pipeline");
  m.name = string_field(request, "job");
  m.id = string_field(request, "id");
  m.payload = string_field(request, "payload");
  m.options.priority = integer_field(request, "priority", 0);
  m.options.delay_seconds = integer_field(request, "delay", 0);
  if (m.options.pipeline.empty()) return answer(json_error(400, "give \"pipeline\""));
  if (m.name.empty()) return answer(json_error(400, "give \"job\" (the job name)"));
  if (m.options.delay_seconds < 0) return answer(json_error(400, "\"delay\" must be >= 0"));
  if (auto s = jobs::check_delay(m.options.delay_seconds, "delay"); !s) {
    return answer(json_error(400, s.message()));
  }
  if (const auto* headers = request.if_contains("headers"); headers != nullptr) {
    if (!headers->is_object()) return answer(json_error(400, "\"headers\" must be an object"));
    for (const auto& [key, value] : headers->get_object()) {
      auto& values = m.headers[std::string(key)];
      if (value.is_string()) {
        values.emplace_back(value.get_string());
      } else if (value.is_array()) {
        for (const auto& v : value.get_array()) {
          if (!v.is_string()) return answer(json_error(400, "header values must be strings"));
          values.emplace_back(v.get_string());
        }
      } else {
        return answer(json_error(400, "header values must be strings or lists of strings"));
      }
    }
  }
  if (m.id.empty()) m.id = "dashboard-" + RequestGuard::random_token().substr(0, 16);
  std::string id = m.id;
  engine_.push(std::move(m), [answer, id = std::move(id)](const sdk::Status& s) {
    if (!s) return answer(json_error(400, s.message()));
    answer(ok_json(json::object{{"id", id}}));
  });
}

}  // namespace coyote::host::dashboard
