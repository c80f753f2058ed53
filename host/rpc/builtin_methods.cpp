#include "rpc/builtin_methods.hpp"

#include "jobs/delay_limit.hpp"
#include "jobs/jobs_service.hpp"
#include "rpc/go_json.hpp"
#include "rpc/jobs_codec.hpp"
#include "support/version.hpp"
#include "worker/pool_control.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <memory>

namespace coyote::host::rpc {
namespace json = boost::json;
namespace {

constexpr std::string_view kJobsPlugin = "jobs";

// informer.*, resetter.* and rpc.* take Go scalars (string or bool); PHP and the CLI send them
// as JSON. Proto cannot carry a bare scalar, so only JSON is accepted.
sdk::Status require_json(const Call& call) {
  if (call.codec == Codec::kJson) return sdk::Status::ok();
  return sdk::Status::error(std::string(call.method) + " takes a JSON argument; the " +
                            std::string(codec_name(call.codec)) +
                            " codec is not supported, use JSON (flag 0x08)");
}

sdk::Status string_arg(const Call& call, std::string& out) {
  if (auto s = require_json(call); !s) return s;
  json::value v;
  if (auto s = go_json::parse(call.body, v); !s) return s;
  if (v.is_null()) return sdk::Status::ok();
  if (!v.is_string()) return go_json::type_error(v, "argument", "string");
  out.assign(v.get_string().data(), v.get_string().size());
  return sdk::Status::ok();
}

sdk::Status bool_arg(const Call& call) {
  if (auto s = require_json(call); !s) return s;
  json::value v;
  if (auto s = go_json::parse(call.body, v); !s) return s;
  if (!v.is_null() && !v.is_bool()) return go_json::type_error(v, "argument", "bool");
  return sdk::Status::ok();
}

sdk::Status no_such_plugin(std::string_view name) {
  return sdk::Status::error("no such plugin: " + std::string(name));
}

void fail(const Reply& reply, const sdk::Status& status) { reply(status, {}); }

std::string format_double(double v) {
  // Shortest round-trip form, as Go's encoding/json prints floats ("0.5", "12").
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, v);
  return {buf, result.ptr};
}

void append_worker_json(std::string& out, const worker::WorkerInfo& w) {
  // Key order and names of Go's ProcessState (spec 4.7); PHP's WorkerPool reads these.
  out += "{\"pid\":" + std::to_string(w.pid);
  out += ",\"status\":" + std::to_string(w.status);
  out += ",\"numExecs\":" + std::to_string(w.num_execs);
  out += ",\"created\":" + std::to_string(w.created_ns);
  out += ",\"memoryUsage\":" + std::to_string(w.memory_usage);
  out += ",\"CPUPercent\":" + format_double(w.cpu_percent);
  out += ",\"command\":" + go_json::quote(w.command);
  out += ",\"statusStr\":" + go_json::quote(w.status_str);
  out += '}';
}

json::object state_json(const sdk::State& st) {
  // informer.Jobs marshals Go's jobs.State, which has no JSON tags: Go field names, no omitempty.
  json::object o;
  o["Pipeline"] = st.pipeline;
  o["Driver"] = st.driver;
  o["Queue"] = st.queue;
  o["Active"] = st.active;
  o["Delayed"] = st.delayed;
  o["Reserved"] = st.reserved;
  o["Ready"] = st.ready;
  o["Priority"] = st.priority;
  o["ErrorMessage"] = st.error;
  return o;
}

}  // namespace

void add_jobs_methods(MethodTable& table, jobs::JobsService& jobs) {
  jobs::JobsService* svc = &jobs;

  table.add("jobs.Push", [svc](const Call& call, Reply reply) {
    sdk::Message message;
    if (auto s = decode_push_request(call.codec, call.body, message); !s) return fail(reply, s);
    if (message.id.empty()) {
      return reply(sdk::Status::error("empty ID field not allowed"), {});
    }
    if (auto s = jobs::check_delay(message.options.delay_seconds, "PushRequest.job.options.delay");
        !s) {
      return fail(reply, s);
    }
    const Codec codec = call.codec;
    svc->push(std::move(message), [reply = std::move(reply), codec](const sdk::Status& status) {
      reply(status, status ? encode_empty(codec) : std::string());
    });
  });

  table.add("jobs.PushBatch", [svc](const Call& call, Reply reply) {
    std::vector<sdk::Message> messages;
    if (auto s = decode_push_batch_request(call.codec, call.body, messages); !s) {
      return fail(reply, s);
    }
    // Checked for the whole batch before any job is pushed: one bad delay refuses it all.
    for (std::size_t i = 0; i < messages.size(); ++i) {
      // The field's name is built only for an error: this runs for every job of every batch.
      if (messages[i].options.delay_seconds <= jobs::kMaxDelaySeconds) continue;
      return fail(reply, jobs::check_delay(
                             messages[i].options.delay_seconds,
                             "PushBatchRequest.jobs[" + std::to_string(i) + "].options.delay"));
    }
    const Codec codec = call.codec;
    svc->push_batch(std::move(messages),
                    [reply = std::move(reply), codec](const sdk::Status& status) {
                      reply(status, status ? encode_empty(codec) : std::string());
                    });
  });

  const auto pipelines_call =
      [svc](sdk::Status (jobs::JobsService::*op)(const std::vector<std::string>&)) {
        return [svc, op](const Call& call, const Reply& reply) {
          std::vector<std::string> names;
          if (auto s = decode_pipelines(call.codec, call.body, names); !s) return fail(reply, s);
          sdk::Status status = (svc->*op)(names);
          reply(status, status ? encode_empty(call.codec) : std::string());
        };
      };
  table.add("jobs.Pause", pipelines_call(&jobs::JobsService::pause));
  table.add("jobs.Resume", pipelines_call(&jobs::JobsService::resume));

  table.add("jobs.List", [svc](const Call& call, const Reply& reply) {
    if (auto s = decode_empty(call.codec, call.body); !s) return fail(reply, s);
    reply(sdk::Status::ok(), encode_pipelines(call.codec, svc->list()));
  });

  table.add("jobs.Declare", [svc](const Call& call, const Reply& reply) {
    std::map<std::string, std::string> options;
    if (auto s = decode_declare_request(call.codec, call.body, options); !s) {
      return fail(reply, s);
    }
    sdk::Status status = svc->declare(options);
    reply(status, status ? encode_empty(call.codec) : std::string());
  });

  table.add("jobs.Destroy", [svc](const Call& call, const Reply& reply) {
    std::vector<std::string> names;
    if (auto s = decode_pipelines(call.codec, call.body, names); !s) return fail(reply, s);
    auto destroyed = svc->destroy(names);
    if (!destroyed) return reply(destroyed.status(), {});
    reply(sdk::Status::ok(), encode_pipelines(call.codec, *destroyed));
  });

  table.add("jobs.Stat", [svc](const Call& call, const Reply& reply) {
    if (auto s = decode_empty(call.codec, call.body); !s) return fail(reply, s);
    auto states = svc->stat();
    if (!states) return reply(states.status(), {});
    reply(sdk::Status::ok(), encode_stats(call.codec, *states));
  });
}

void add_informer_methods(MethodTable& table, jobs::JobsService& jobs, worker::PoolControl* pools) {
  jobs::JobsService* svc = &jobs;

  table.add("informer.List", [](const Call& call, const Reply& reply) {
    if (auto s = bool_arg(call); !s) return fail(reply, s);
    reply(sdk::Status::ok(), R"(["jobs"])");
  });

  table.add("informer.Workers", [pools](const Call& call, const Reply& reply) {
    std::string plugin;
    if (auto s = string_arg(call, plugin); !s) return fail(reply, s);
    if (plugin != kJobsPlugin) return reply(no_such_plugin(plugin), {});
    // Go yields {"workers":null} for no workers, which breaks PHP's array_map; [] reads the same
    // to every client that copes with null.
    std::string body = "{\"workers\":[";
    if (pools != nullptr) {
      bool first = true;
      for (const auto& w : pools->workers()) {
        if (!first) body.push_back(',');
        first = false;
        append_worker_json(body, w);
      }
    }
    body += "]}";
    reply(sdk::Status::ok(), std::move(body));
  });

  table.add("informer.Jobs", [svc](const Call& call, const Reply& reply) {
    std::string plugin;
    if (auto s = string_arg(call, plugin); !s) return fail(reply, s);
    if (plugin != kJobsPlugin) return reply(no_such_plugin(plugin), {});
    auto states = svc->stat();
    if (!states) return reply(states.status(), {});
    json::array out;
    for (const auto& st : *states) out.emplace_back(state_json(st));
    reply(sdk::Status::ok(), json::serialize(out));
  });

  const auto scale = [pools](bool add) {
    return [pools, add](const Call& call, const Reply& reply) {
      std::string plugin;
      if (auto s = string_arg(call, plugin); !s) return fail(reply, s);
      if (plugin != kJobsPlugin || pools == nullptr) return reply(no_such_plugin(plugin), {});
      auto status = add ? pools->add_worker() : pools->remove_worker();
      if (!status) return reply(std::move(status), {});
      reply(sdk::Status::ok(), "true");
    };
  };
  table.add("informer.AddWorker", scale(true));
  table.add("informer.RemoveWorker", scale(false));
}

void add_resetter_methods(MethodTable& table, worker::PoolControl* pools) {
  table.add("resetter.List", [](const Call& call, const Reply& reply) {
    if (auto s = bool_arg(call); !s) return fail(reply, s);
    reply(sdk::Status::ok(), R"(["jobs"])");
  });

  table.add("resetter.Reset", [pools](const Call& call, Reply reply) {
    std::string plugin;
    if (auto s = string_arg(call, plugin); !s) return fail(reply, s);
    if (plugin != kJobsPlugin || pools == nullptr) return reply(no_such_plugin(plugin), {});
    pools->reset([reply = std::move(reply)](sdk::Status outcome) {
      if (!outcome) return reply(std::move(outcome), {});
      reply(sdk::Status::ok(), "true");
    });
  });
}

void add_rpc_methods(MethodTable& table, std::string version) {
  table.add("rpc.Version", [version = std::move(version)](const Call& call, const Reply& reply) {
    if (auto s = bool_arg(call); !s) return fail(reply, s);
    reply(sdk::Status::ok(), go_json::quote(version));
  });
}

MethodTable default_methods(jobs::JobsService& jobs, worker::PoolControl* pools,
                            std::string version) {
  MethodTable table;
  add_jobs_methods(table, jobs);
  add_informer_methods(table, jobs, pools);
  add_resetter_methods(table, pools);
  add_rpc_methods(table, std::move(version));
  return table;
}

std::string coyote_version() { return support::kVersion; }

}  // namespace coyote::host::rpc
