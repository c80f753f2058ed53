#include "cli/workers_command.hpp"

#include "cli/command_failure.hpp"
#include "cli/rpc_session.hpp"
#include "cli/table.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

namespace coyote::host::cli {
namespace json = boost::json;
namespace {

void print_workers(const Options& o, RpcSession& session) {
  const std::string body = session.call("informer.Workers", rpc::Codec::kJson, "\"jobs\"");
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

void run_workers(const Options& o, double interval) {
  RpcSession session(o);
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

void run_reset(const Options& o) {
  RpcSession session(o);
  const std::string body = session.call("resetter.Reset", rpc::Codec::kJson, "\"jobs\"");
  if (o.json) {
    std::cout << json::serialize(json::object{{"reset", "jobs"}, {"ok", body == "true"}}) << '\n';
  } else {
    std::cout << "reset jobs workers\n";
  }
}

}  // namespace

void add_workers_commands(CLI::App& app) {
  {
    auto o = std::make_shared<Options>();
    auto interval = std::make_shared<double>(0);
    CLI::App* cmd = app.add_subcommand("workers", "show the jobs workers");
    cmd->add_option("-i,--interval", *interval, "refresh every SECONDS until Ctrl-C");
    add_client_options(*cmd, *o);
    cmd->callback([o, interval] { run_workers(*o, *interval); });
  }
  {
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("reset", "restart the jobs workers");
    add_client_options(*cmd, *o);
    cmd->callback([o] { run_reset(*o); });
  }
}

}  // namespace coyote::host::cli
