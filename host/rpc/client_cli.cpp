#include "rpc/client_cli.hpp"

#include "rpc/go_json.hpp"
#include "rpc/jobs_codec.hpp"
#include "rpc/listen_address.hpp"
#include "rpc/rpc_client.hpp"

#include <yaml-cpp/yaml.h>
#include <boost/json.hpp>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <thread>

namespace coyote::host::rpc {
namespace json = boost::json;
namespace {

constexpr std::string_view kDefaultConfig = ".rr.yaml";

struct CommonOptions {
  std::string config = std::string(kDefaultConfig);
  CLI::Option* config_option = nullptr;
  std::string rpc;
  bool json = false;
};

[[noreturn]] void fail(int code, const std::string& message) {
  std::cerr << "coyote: " << message << '\n';
  throw CLI::RuntimeError(code);
}

std::string resolve_address(const CommonOptions& o) {
  if (!o.rpc.empty()) return o.rpc;
  const bool explicit_config = o.config_option != nullptr && o.config_option->count() > 0;
  if (!std::filesystem::exists(o.config)) {
    if (explicit_config) {
      fail(kExitUsage, "config file " + o.config +
                           " not found; pass an existing file with -c or the "
                           "server address with --rpc");
    }
    return std::string(kDefaultListen);
  }
  try {
    const YAML::Node root = YAML::LoadFile(o.config);
    const YAML::Node listen = root["rpc"] ? root["rpc"]["listen"] : YAML::Node();
    if (!listen) return std::string(kDefaultListen);
    return listen.as<std::string>();
  } catch (const YAML::Exception& e) {
    fail(kExitUsage, "cannot read rpc.listen from " + o.config + ": " + e.what());
  }
}

class Session {
 public:
  explicit Session(const CommonOptions& o) : address_(resolve_address(o)) {
    try {
      client_ = std::make_unique<RpcClient>(address_);
    } catch (const std::invalid_argument& e) {
      fail(kExitUsage, e.what());
    } catch (const RpcConnectError& e) {
      fail(kExitConnect, "cannot connect to coyote RPC at " + address_ + ": " + e.what() +
                             "; is `coyote serve` running? set rpc.listen or --rpc");
    }
  }

  /// The reply body; a service error exits with kExitServiceError.
  std::string call(std::string_view method, Codec codec, std::string_view body) {
    RpcReply reply;
    try {
      reply = client_->call(method, codec, body);
    } catch (const RpcTransportError& e) {
      fail(kExitConnect, "RPC to " + address_ + " failed: " + e.what());
    }
    if (reply.error) fail(kExitServiceError, std::string(method) + ": " + reply.body);
    return reply.body;
  }

 private:
  std::string address_;
  std::unique_ptr<RpcClient> client_;
};

void add_common(CLI::App* cmd, CommonOptions& o) {
  o.config_option = cmd->add_option("-c,--config", o.config, "config file; only rpc.listen is read")
                        ->capture_default_str();
  cmd->add_option("--rpc", o.rpc,
                  "RPC address, e.g. tcp://127.0.0.1:6001 or unix:///run/rr.sock "
                  "(overrides the config file)");
  cmd->add_flag("--json", o.json, "machine-readable JSON output");
}

std::pair<std::string, std::string> split_pair(const std::string& text, std::string_view what) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    fail(kExitUsage, std::string(what) + " \"" + text + "\" must look like key=value");
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

std::string read_payload(const std::string& spec) {
  if (spec == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  if (!spec.empty() && spec.front() == '@') {
    std::ifstream in(spec.substr(1), std::ios::binary);
    if (!in) fail(kExitUsage, "cannot read payload file " + spec.substr(1));
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return spec;
}

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out.append(width[i] - cells[i].size() + 2, ' ');
    }
    std::cout << out << '\n';
  };
  line(header);
  for (const auto& row : rows) line(row);
}

std::string human_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= 1024 && unit < 4) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.1f %s", v, units[unit]);
  return buf;
}

std::string human_age(std::int64_t created_ns) {
  const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::int64_t s = created_ns > 0 && now > created_ns ? (now - created_ns) / 1'000'000'000 : 0;
  std::ostringstream out;
  if (s >= 3600) out << s / 3600 << "h";
  if (s >= 60) out << (s % 3600) / 60 << "m";
  out << s % 60 << "s";
  return out.str();
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

void run_push(const CommonOptions& o, const PushArgs& a) {
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
  Session session(o);
  session.call("jobs.Push", Codec::kProto, encode_push_request(Codec::kProto, m));
  if (o.json) {
    std::cout << json::serialize(json::object{{"id", m.id}, {"pipeline", a.pipeline}}) << '\n';
  } else {
    std::cout << "pushed job " << m.id << " to " << a.pipeline << '\n';
  }
}

void run_list(const CommonOptions& o) {
  Session session(o);
  std::vector<std::string> names;
  const std::string body = session.call("jobs.List", Codec::kProto, encode_empty(Codec::kProto));
  if (auto s = decode_pipelines(Codec::kProto, body, names); !s)
    fail(kExitServiceError, s.message());
  std::sort(names.begin(), names.end());
  if (o.json) {
    std::cout << json::serialize(json::object{{"pipelines", to_json_array(names)}}) << '\n';
    return;
  }
  for (const auto& n : names) std::cout << n << '\n';
}

void run_stat(const CommonOptions& o) {
  Session session(o);
  std::vector<sdk::State> states;
  const std::string body = session.call("jobs.Stat", Codec::kProto, encode_empty(Codec::kProto));
  if (auto s = decode_stats(Codec::kProto, body, states); !s) fail(kExitServiceError, s.message());
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
  for (const auto& st : states) {
    rows.push_back({st.pipeline, st.driver, st.queue, std::to_string(st.priority),
                    std::to_string(st.active), std::to_string(st.delayed),
                    std::to_string(st.reserved), st.ready ? "ready" : "paused"});
  }
  print_table({"PIPELINE", "DRIVER", "QUEUE", "PRIORITY", "ACTIVE", "DELAYED", "RESERVED", "STATE"},
              rows);
}

void run_pipelines_op(const CommonOptions& o, std::string_view method, std::string_view verb,
                      const std::vector<std::string>& pipelines) {
  Session session(o);
  const std::string body =
      session.call(method, Codec::kProto, encode_pipelines(Codec::kProto, pipelines));
  std::vector<std::string> affected = pipelines;
  if (method == "jobs.Destroy") {
    if (auto s = decode_pipelines(Codec::kProto, body, affected); !s)
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

void run_declare(const CommonOptions& o, const DeclareArgs& a) {
  std::map<std::string, std::string> options;
  for (const auto& kv : a.options) {
    auto [k, v] = split_pair(kv, "--option");
    options[k] = v;
  }
  options["name"] = a.name;
  options["driver"] = a.driver;
  if (!a.priority.empty()) options["priority"] = a.priority;
  Session session(o);
  session.call("jobs.Declare", Codec::kProto, encode_declare_request(Codec::kProto, options));
  if (o.json) {
    std::cout << json::serialize(json::object{{"declared", a.name}, {"driver", a.driver}}) << '\n';
  } else {
    std::cout << "declared " << a.name << " (driver " << a.driver << ")\n";
  }
}

void print_workers(const CommonOptions& o, Session& session) {
  const std::string body = session.call("informer.Workers", Codec::kJson, "\"jobs\"");
  if (o.json) {
    std::cout << body << '\n';
    return;
  }
  boost::system::error_code ec;
  const json::value root = json::parse(body, ec);
  if (ec || !root.is_object())
    fail(kExitServiceError, "informer.Workers returned invalid JSON: " + body);
  std::vector<std::vector<std::string>> rows;
  const json::value* workers = root.get_object().if_contains("workers");
  if (workers != nullptr && workers->is_array()) {
    for (const auto& w : workers->get_array()) {
      if (!w.is_object()) continue;
      const auto& obj = w.get_object();
      const auto num = [&](std::string_view key) -> std::int64_t {
        const json::value* v = obj.if_contains(key);
        if (v == nullptr) return 0;
        if (v->is_int64()) return v->get_int64();
        if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
        if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
        return 0;
      };
      const json::value* cpu = obj.if_contains("CPUPercent");
      const json::value* status = obj.if_contains("statusStr");
      char cpu_text[32];
      std::snprintf(cpu_text, sizeof cpu_text, "%.2f",
                    cpu != nullptr && cpu->is_number() ? cpu->to_number<double>() : 0.0);
      rows.push_back(
          {std::to_string(num("pid")),
           status != nullptr && status->is_string() ? std::string(status->get_string()) : "",
           std::to_string(num("numExecs")),
           human_bytes(static_cast<std::uint64_t>(num("memoryUsage"))), cpu_text,
           human_age(num("created"))});
    }
  }
  std::cout << "Workers of [jobs]:\n";
  print_table({"PID", "STATUS", "EXECS", "MEMORY", "CPU%", "CREATED"}, rows);
}

void run_workers(const CommonOptions& o, double interval) {
  Session session(o);
  if (interval <= 0) {
    print_workers(o, session);
    return;
  }
  // Ctrl-C (SIGINT's default action) ends the loop.
  for (;;) {
    std::cout << "\033[H\033[2J";
    print_workers(o, session);
    std::cout.flush();
    std::this_thread::sleep_for(std::chrono::duration<double>(interval));
  }
}

void run_reset(const CommonOptions& o) {
  Session session(o);
  const std::string body = session.call("resetter.Reset", Codec::kJson, "\"jobs\"");
  if (o.json) {
    std::cout << json::serialize(json::object{{"reset", "jobs"}, {"ok", body == "true"}}) << '\n';
  } else {
    std::cout << "reset jobs workers\n";
  }
}

}  // namespace

void register_client_commands(CLI::App& app) {
  CLI::App* jobs = app.add_subcommand("jobs", "manage jobs pipelines over RPC");
  jobs->require_subcommand(1);

  {
    auto o = std::make_shared<CommonOptions>();
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
    add_common(cmd, *o);
    cmd->callback([o, a] { run_push(*o, *a); });
  }
  {
    auto o = std::make_shared<CommonOptions>();
    CLI::App* cmd = jobs->add_subcommand("list", "list pipelines");
    add_common(cmd, *o);
    cmd->callback([o] { run_list(*o); });
  }
  {
    auto o = std::make_shared<CommonOptions>();
    CLI::App* cmd = jobs->add_subcommand("stat", "show pipeline statistics");
    add_common(cmd, *o);
    cmd->callback([o] { run_stat(*o); });
  }
  const auto pipelines_cmd = [jobs](const char* name, const char* help, std::string_view method,
                                    std::string_view verb) {
    auto o = std::make_shared<CommonOptions>();
    auto names = std::make_shared<std::vector<std::string>>();
    CLI::App* cmd = jobs->add_subcommand(name, help);
    cmd->add_option("pipelines", *names, "pipeline names")->required();
    add_common(cmd, *o);
    cmd->callback([o, names, method, verb] { run_pipelines_op(*o, method, verb, *names); });
  };
  pipelines_cmd("pause", "pause consuming pipelines", "jobs.Pause", "paused");
  pipelines_cmd("resume", "resume consuming pipelines", "jobs.Resume", "resumed");
  pipelines_cmd("destroy", "stop and remove pipelines", "jobs.Destroy", "destroyed");
  {
    auto o = std::make_shared<CommonOptions>();
    auto a = std::make_shared<DeclareArgs>();
    CLI::App* cmd = jobs->add_subcommand("declare", "declare a pipeline at runtime");
    cmd->add_option("name", a->name, "pipeline name")->required();
    cmd->add_option("--driver", a->driver, "driver, e.g. memory")->required();
    cmd->add_option("--priority", a->priority, "pipeline priority (default 10)");
    cmd->add_option("--option", a->options, "driver option key=value (repeatable)");
    add_common(cmd, *o);
    cmd->callback([o, a] { run_declare(*o, *a); });
  }
  {
    auto o = std::make_shared<CommonOptions>();
    auto interval = std::make_shared<double>(0);
    CLI::App* cmd = app.add_subcommand("workers", "show the jobs workers");
    cmd->add_option("-i,--interval", *interval, "refresh every SECONDS until Ctrl-C");
    add_common(cmd, *o);
    cmd->callback([o, interval] { run_workers(*o, *interval); });
  }
  {
    auto o = std::make_shared<CommonOptions>();
    CLI::App* cmd = app.add_subcommand("reset", "restart the jobs workers");
    add_common(cmd, *o);
    cmd->callback([o] { run_reset(*o); });
  }
}

}  // namespace coyote::host::rpc
