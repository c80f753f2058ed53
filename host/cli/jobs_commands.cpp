#include "cli/jobs_commands.hpp"

#include "cli/command_failure.hpp"
#include "cli/rpc_session.hpp"
#include "cli/table.hpp"
#include "rpc/jobs_codec.hpp"

#include <boost/json.hpp>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>

namespace coyote::host::cli {
namespace json = boost::json;
namespace {

std::pair<std::string, std::string> split_pair(const std::string& text, std::string_view what) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    fail(kExitUsage, std::string(what) + " \"" + text + "\" must look like key=value");
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

std::string read_payload(const std::string& spec) {
  if (spec == "-") {
    return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  }
  if (!spec.empty() && spec.front() == '@') {
    std::ifstream in(spec.substr(1), std::ios::binary);
    if (!in) fail(kExitUsage, "cannot read payload file " + spec.substr(1));
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  return spec;
}

json::array to_json_array(const std::vector<std::string>& names) {
  json::array out;
  for (const auto& n : names) out.emplace_back(n);
  return out;
}

// --- commands ------------------------------------------------------------------------------

struct PushArgs {
  std::string pipeline;
  std::string job;
  std::string payload;
  std::int64_t priority = 0;
  std::int64_t delay = 0;
  std::vector<std::string> headers;
  std::string id;
  bool auto_ack = false;
};

void run_push(const Options& o, const PushArgs& a) {
  sdk::Message m;
  m.name = a.job;
  m.id = a.id.empty() ? boost::uuids::to_string(boost::uuids::random_generator()()) : a.id;
  m.payload = read_payload(a.payload);
  for (const auto& h : a.headers) {
    auto [k, v] = split_pair(h, "--header");
    m.headers[k].push_back(v);
  }
  m.options.pipeline = a.pipeline;
  m.options.priority = a.priority;
  m.options.delay_seconds = a.delay;
  m.options.auto_ack = a.auto_ack;
  RpcSession session(o);
  session.call("jobs.Push", rpc::Codec::kProto, rpc::encode_push_request(rpc::Codec::kProto, m));
  if (o.json) {
    std::cout << json::serialize(json::object{{"id", m.id}, {"pipeline", a.pipeline}}) << '\n';
  } else {
    std::cout << "pushed job " << m.id << " to " << a.pipeline << '\n';
  }
}

void run_list(const Options& o) {
  RpcSession session(o);
  std::vector<std::string> names;
  const std::string body =
      session.call("jobs.List", rpc::Codec::kProto, rpc::encode_empty(rpc::Codec::kProto));
  if (auto s = rpc::decode_pipelines(rpc::Codec::kProto, body, names); !s)
    fail(kExitServiceError, s.message());
  std::sort(names.begin(), names.end());
  if (o.json) {
    std::cout << json::serialize(json::object{{"pipelines", to_json_array(names)}}) << '\n';
    return;
  }
  for (const auto& n : names) std::cout << n << '\n';
}

void run_stat(const Options& o) {
  RpcSession session(o);
  std::vector<sdk::State> states;
  const std::string body =
      session.call("jobs.Stat", rpc::Codec::kProto, rpc::encode_empty(rpc::Codec::kProto));
  if (auto s = rpc::decode_stats(rpc::Codec::kProto, body, states); !s)
    fail(kExitServiceError, s.message());
  std::sort(states.begin(), states.end(),
            [](const auto& a, const auto& b) { return a.pipeline < b.pipeline; });
  if (o.json) {
    json::array out;
    for (const auto& st : states) {
      out.emplace_back(json::object{{"pipeline", st.pipeline},
                                    {"driver", st.driver},
                                    {"queue", st.queue},
                                    {"priority", st.priority},
                                    {"active", st.active},
                                    {"delayed", st.delayed},
                                    {"reserved", st.reserved},
                                    {"ready", st.ready}});
    }
    std::cout << json::serialize(json::object{{"stats", std::move(out)}}) << '\n';
    return;
  }
  std::vector<std::vector<std::string>> rows;
  rows.reserve(states.size());
  for (const auto& st : states) {
    rows.push_back({st.pipeline, st.driver, st.queue, std::to_string(st.priority),
                    std::to_string(st.active), std::to_string(st.delayed),
                    std::to_string(st.reserved), st.ready ? "ready" : "paused"});
  }
  print_table({"PIPELINE", "DRIVER", "QUEUE", "PRIORITY", "ACTIVE", "DELAYED", "RESERVED", "STATE"},
              rows);
}

void run_pipelines_op(const Options& o, std::string_view method, std::string_view verb,
                      const std::vector<std::string>& pipelines) {
  RpcSession session(o);
  const std::string body = session.call(method, rpc::Codec::kProto,
                                        rpc::encode_pipelines(rpc::Codec::kProto, pipelines));
  std::vector<std::string> affected = pipelines;
  if (method == "jobs.Destroy") {
    if (auto s = rpc::decode_pipelines(rpc::Codec::kProto, body, affected); !s)
      fail(kExitServiceError, s.message());
    std::sort(affected.begin(), affected.end());
  }
  if (o.json) {
    std::cout << json::serialize(json::object{{"pipelines", to_json_array(affected)}}) << '\n';
    return;
  }
  for (const auto& p : affected) std::cout << verb << ' ' << p << '\n';
}

struct DeclareArgs {
  std::string name;
  std::string driver;
  std::string priority;
  std::vector<std::string> options;
};

void run_declare(const Options& o, const DeclareArgs& a) {
  std::map<std::string, std::string> options;
  for (const auto& kv : a.options) {
    auto [k, v] = split_pair(kv, "--option");
    options[k] = v;
  }
  options["name"] = a.name;
  options["driver"] = a.driver;
  if (!a.priority.empty()) options["priority"] = a.priority;
  RpcSession session(o);
  session.call("jobs.Declare", rpc::Codec::kProto,
               rpc::encode_declare_request(rpc::Codec::kProto, options));
  if (o.json) {
    std::cout << json::serialize(json::object{{"declared", a.name}, {"driver", a.driver}}) << '\n';
  } else {
    std::cout << "declared " << a.name << " (driver " << a.driver << ")\n";
  }
}

}  // namespace

CLI::App& add_jobs_commands(CLI::App& app) {
  CLI::App* jobs = app.add_subcommand("jobs", "manage jobs pipelines over RPC");
  jobs->require_subcommand(1);

  {
    auto o = std::make_shared<Options>();
    auto a = std::make_shared<PushArgs>();
    CLI::App* cmd = jobs->add_subcommand("push", "push one job");
    cmd->add_option("pipeline", a->pipeline, "target pipeline")->required();
    cmd->add_option("job", a->job, "job name (e.g. a PHP class)")->required();
    cmd->add_option("--payload", a->payload, "payload text, @file to read a file, - for stdin");
    cmd->add_option("--priority", a->priority, "job priority (0: the pipeline's)");
    cmd->add_option("--delay", a->delay, "delay in seconds");
    cmd->add_option("--header", a->headers, "header key=value (repeatable)");
    cmd->add_option("--id", a->id, "job id (default: a random UUID)");
    cmd->add_flag("--auto-ack", a->auto_ack, "ack on receipt (broker drivers)");
    add_client_options(*cmd, *o);
    cmd->callback([o, a] { run_push(*o, *a); });
  }
  {
    auto o = std::make_shared<Options>();
    CLI::App* cmd = jobs->add_subcommand("list", "list pipelines");
    add_client_options(*cmd, *o);
    cmd->callback([o] { run_list(*o); });
  }
  {
    auto o = std::make_shared<Options>();
    CLI::App* cmd = jobs->add_subcommand("stat", "show pipeline statistics");
    add_client_options(*cmd, *o);
    cmd->callback([o] { run_stat(*o); });
  }
  const auto pipelines_cmd = [jobs](const char* name, const char* help, std::string_view method,
                                    std::string_view verb) {
    auto o = std::make_shared<Options>();
    auto names = std::make_shared<std::vector<std::string>>();
    CLI::App* cmd = jobs->add_subcommand(name, help);
    cmd->add_option("pipelines", *names, "pipeline names")->required();
    add_client_options(*cmd, *o);
    cmd->callback([o, names, method, verb] { run_pipelines_op(*o, method, verb, *names); });
  };
  pipelines_cmd("pause", "pause consuming pipelines", "jobs.Pause", "paused");
  pipelines_cmd("resume", "resume consuming pipelines", "jobs.Resume", "resumed");
  pipelines_cmd("destroy", "stop and remove pipelines", "jobs.Destroy", "destroyed");
  {
    auto o = std::make_shared<Options>();
    auto a = std::make_shared<DeclareArgs>();
    CLI::App* cmd = jobs->add_subcommand("declare", "declare a pipeline at runtime");
    cmd->add_option("name", a->name, "pipeline name")->required();
    cmd->add_option("--driver", a->driver, "driver, e.g. memory")->required();
    cmd->add_option("--priority", a->priority, "pipeline priority (default 10)");
    cmd->add_option("--option", a->options, "driver option key=value (repeatable)");
    add_client_options(*cmd, *o);
    cmd->callback([o, a] { run_declare(*o, *a); });
  }
  return *jobs;
}

}  // namespace coyote::host::cli
