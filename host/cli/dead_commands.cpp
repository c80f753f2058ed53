#include "cli/dead_commands.hpp"

#include "cli/command_failure.hpp"
#include "cli/options.hpp"
#include "cli/rpc_session.hpp"

#include <boost/json.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace coyote::host::cli {
namespace {

namespace json = boost::json;

/// The client options plus the store and ids `jobs dead` takes.
struct DeadOptions {
  Options common;
  std::string store;
  std::vector<std::string> ids;
  bool all = false;
};

json::object request_of(const DeadOptions& o) {
  json::object r;
  if (!o.store.empty()) r["store"] = o.store;
  return r;
}

void run_list(const DeadOptions& o) {
  json::value reply = RpcSession(o.common).call_json("coyote.DeadList", request_of(o));
  if (o.common.json) {
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
  json::value reply = RpcSession(o.common).call_json(method, request);
  const auto& r = reply.as_object();
  if (o.common.json) {
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

void add_dead_options(CLI::App* cmd, DeadOptions& o) {
  add_client_options(*cmd, o.common);
  cmd->add_option("--store", o.store,
                  "dead-letter store (a pipeline's dead_letter value); optional when there is one");
}

}  // namespace

void add_dead_commands(CLI::App& jobs) {
  CLI::App* dead = jobs.add_subcommand("dead", "list, replay or delete dead-lettered jobs");
  dead->require_subcommand(1);
  {
    auto o = std::make_shared<DeadOptions>();
    CLI::App* cmd =
        dead->add_subcommand("list", "list dead jobs: id, job, origin, attempts, error");
    add_dead_options(cmd, *o);
    cmd->callback([o] { run_list(*o); });
  }
  const auto each = [dead](const char* name, const char* help, std::string_view method,
                           std::string_view verb) {
    auto o = std::make_shared<DeadOptions>();
    CLI::App* cmd = dead->add_subcommand(name, help);
    add_dead_options(cmd, *o);
    cmd->add_option("ids", o->ids, "ids of dead jobs");
    cmd->add_flag("--all", o->all, "every dead job of the store");
    cmd->callback([o, method, verb] { run_each(*o, method, verb); });
  };
  each("replay", "push dead jobs back into their origin pipeline (attempts reset)",
       "coyote.DeadReplay", "replayed");
  each("delete", "forget dead jobs", "coyote.DeadDelete", "deleted");
}

}  // namespace coyote::host::cli
