#include "rpc/dead_letter_cli.hpp"

#include "rpc/client_cli.hpp"
#include "rpc/listen_address.hpp"
#include "rpc/rpc_client.hpp"

#include <yaml-cpp/yaml.h>
#include <boost/json.hpp>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace coyote::host::rpc {
namespace {

namespace json = boost::json;

struct DeadOptions {
  std::string config = ".rr.yaml";
  CLI::Option* config_option = nullptr;
  std::string rpc;
  bool json = false;
  std::string store;
  std::vector<std::string> ids;
  bool all = false;
};

[[noreturn]] void fail(int code, const std::string& message) {
  std::cerr << "coyote: " << message << '\n';
  throw CLI::RuntimeError(code);
}

std::string address_of(const DeadOptions& o) {
  if (!o.rpc.empty()) return o.rpc;
  const bool explicit_config = o.config_option != nullptr && o.config_option->count() > 0;
  if (!std::filesystem::exists(o.config)) {
    if (explicit_config) fail(kExitUsage, "config file " + o.config + " not found");
    return std::string(kDefaultListen);
  }
  try {
    const YAML::Node root = YAML::LoadFile(o.config);
    const YAML::Node listen = root["rpc"] ? root["rpc"]["listen"] : YAML::Node();
    return listen ? listen.as<std::string>() : std::string(kDefaultListen);
  } catch (const YAML::Exception& e) {
    fail(kExitUsage, "cannot read rpc.listen from " + o.config + ": " + e.what());
  }
}

json::value call(const DeadOptions& o, std::string_view method, const json::object& request) {
  const std::string address = address_of(o);
  std::unique_ptr<RpcClient> client;
  try {
    client = std::make_unique<RpcClient>(address);
  } catch (const std::invalid_argument& e) {
    fail(kExitUsage, e.what());
  } catch (const RpcConnectError& e) {
    fail(kExitConnect, "cannot connect to coyote RPC at " + address + ": " + e.what() +
                           "; is `coyote serve` running? set rpc.listen or --rpc");
  }
  RpcReply reply;
  try {
    reply = client->call(method, Codec::kJson, json::serialize(request));
  } catch (const RpcTransportError& e) {
    fail(kExitConnect, "RPC to " + address + " failed: " + e.what());
  }
  if (reply.error) fail(kExitServiceError, std::string(method) + ": " + reply.body);
  boost::system::error_code ec;
  json::value v = json::parse(reply.body, ec);
  if (ec) fail(kExitServiceError, std::string(method) + ": unreadable reply: " + reply.body);
  return v;
}

json::object request_of(const DeadOptions& o) {
  json::object r;
  if (!o.store.empty()) r["store"] = o.store;
  return r;
}

void run_list(const DeadOptions& o) {
  json::value reply = call(o, "coyote.DeadList", request_of(o));
  if (o.json) {
    std::cout << json::serialize(reply) << '\n';
    return;
  }
  const auto& jobs = reply.as_object().at("jobs").as_array();
  if (jobs.empty()) {
    std::cout << "no dead jobs\n";
    return;
  }
  std::cout << "STORE\tID\tJOB\tORIGIN\tATTEMPTS\tLAST ERROR\n";
  for (const auto& j : jobs) {
    const auto& d = j.as_object();
    std::cout << d.at("store").as_string().c_str() << '\t' << d.at("id").as_string().c_str() << '\t'
              << d.at("job").as_string().c_str() << '\t' << d.at("origin").as_string().c_str()
              << '\t' << d.at("attempts").as_int64() << '\t' << d.at("error").as_string().c_str()
              << '\n';
  }
}

void run_each(const DeadOptions& o, std::string_view method, std::string_view verb) {
  if (o.ids.empty() && !o.all) fail(kExitUsage, "give the ids of the dead jobs, or --all");
  if (!o.ids.empty() && o.all) fail(kExitUsage, "give either ids or --all, not both");
  json::object request = request_of(o);
  if (o.all) {
    request["all"] = true;
  } else {
    json::array ids;
    for (const auto& id : o.ids) ids.emplace_back(id);
    request["ids"] = std::move(ids);
  }
  json::value reply = call(o, method, request);
  const auto& r = reply.as_object();
  if (o.json) {
    std::cout << json::serialize(reply) << '\n';
  } else {
    for (const auto& id : r.at("done").as_array()) {
      std::cout << verb << ' ' << id.as_string().c_str() << '\n';
    }
    for (const auto& f : r.at("failed").as_array()) {
      std::cerr << "coyote: " << f.at("id").as_string().c_str() << ": "
                << f.at("error").as_string().c_str() << '\n';
    }
  }
  if (!r.at("failed").as_array().empty()) throw CLI::RuntimeError(kExitServiceError);
}

void add_common(CLI::App* cmd, DeadOptions& o) {
  o.config_option = cmd->add_option("-c,--config", o.config, "config file; only rpc.listen is read")
                        ->capture_default_str();
  cmd->add_option("--rpc", o.rpc, "RPC address (overrides the config file)");
  cmd->add_flag("--json", o.json, "machine-readable JSON output");
  cmd->add_option("--store", o.store,
                  "dead-letter store (a pipeline's dead_letter value); optional when there is one");
}

}  // namespace

void register_dead_letter_commands(CLI::App& app) {
  CLI::App* jobs = app.get_subcommand("jobs");
  CLI::App* dead = jobs->add_subcommand("dead", "list, replay or delete dead-lettered jobs");
  dead->require_subcommand(1);
  {
    auto o = std::make_shared<DeadOptions>();
    CLI::App* cmd =
        dead->add_subcommand("list", "list dead jobs: id, job, origin, attempts, error");
    add_common(cmd, *o);
    cmd->callback([o] { run_list(*o); });
  }
  const auto each = [dead](const char* name, const char* help, std::string_view method,
                           std::string_view verb) {
    auto o = std::make_shared<DeadOptions>();
    CLI::App* cmd = dead->add_subcommand(name, help);
    add_common(cmd, *o);
    cmd->add_option("ids", o->ids, "ids of dead jobs");
    cmd->add_flag("--all", o->all, "every dead job of the store");
    cmd->callback([o, method, verb] { run_each(*o, method, verb); });
  };
  each("replay", "push dead jobs back into their origin pipeline (attempts reset)",
       "coyote.DeadReplay", "replayed");
  each("delete", "forget dead jobs", "coyote.DeadDelete", "deleted");
}

}  // namespace coyote::host::rpc
