#include "cli/schedule_commands.hpp"

#include "cli/command_failure.hpp"
#include "cli/options.hpp"
#include "cli/rpc_session.hpp"

#include <date/date.h>
#include <boost/json.hpp>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace coyote::host::cli {
namespace {

namespace json = boost::json;

struct ScheduleOptions {
  Options common;
  std::string name;
  std::string spec;
  std::string timezone;
  std::string pipeline;
  std::string job;
  std::string payload;
  std::vector<std::string> headers;
  std::int64_t priority = 0;
  std::string catch_up = "skip";
  std::string overlap = "skip";
  bool paused = false;
};

std::string when(const json::value& v) {
  if (!v.is_int64()) return "-";
  const date::sys_seconds t{std::chrono::seconds{v.as_int64()}};
  return date::format("%FT%TZ", t);
}

std::string text_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string() || v->get_string().empty()) return "-";
  return std::string(v->get_string());
}

void run_list(const ScheduleOptions& o) {
  json::value reply = RpcSession(o.common).call_json("jobs.SchedulesList", json::object{});
  if (o.common.json) {
    std::cout << json::serialize(reply) << '\n';
    return;
  }
  const auto& list = reply.as_object().at("schedules").as_array();
  if (list.empty()) {
    std::cout << "no schedules\n";
    return;
  }
  std::cout << "NAME\tSPEC\tPIPELINE\tJOB\tSTATE\tNEXT FIRE\tLAST FIRE\tLAST JOB ID\tFIRED\t"
               "SKIPPED\tFAILED\tLAST ERROR\n";
  for (const auto& item : list) {
    const auto& s = item.as_object();
    std::cout << text_of(s, "name") << '\t' << text_of(s, "spec") << '\t' << text_of(s, "pipeline")
              << '\t' << text_of(s, "job") << '\t'
              << (s.at("paused").as_bool() ? "paused" : "active") << '\t' << when(s.at("next_fire"))
              << '\t' << when(s.at("last_fire")) << '\t' << text_of(s, "last_job_id") << '\t'
              << s.at("fired").to_number<std::uint64_t>() << '\t'
              << s.at("skipped").to_number<std::uint64_t>() << '\t'
              << s.at("failed").to_number<std::uint64_t>() << '\t' << text_of(s, "last_error")
              << '\n';
  }
}

void run_add(const ScheduleOptions& o) {
  json::object r;
  r["name"] = o.name;
  r["spec"] = o.spec;
  if (!o.timezone.empty()) r["timezone"] = o.timezone;
  r["pipeline"] = o.pipeline;
  r["job"] = o.job;
  r["payload"] = o.payload;
  json::object headers;
  for (const auto& h : o.headers) {
    const auto eq = h.find('=');
    if (eq == std::string::npos || eq == 0) {
      fail(kExitUsage, "--header takes NAME=VALUE, got \"" + h + "\"");
    }
    headers[h.substr(0, eq)] = json::array{json::value(h.substr(eq + 1))};
  }
  r["headers"] = std::move(headers);
  r["priority"] = o.priority;
  r["catch_up"] = o.catch_up;
  r["overlap"] = o.overlap;
  r["paused"] = o.paused;
  json::value reply = RpcSession(o.common).call_json("jobs.SchedulesAdd", r);
  if (o.common.json) {
    std::cout << json::serialize(reply) << '\n';
    return;
  }
  std::cout << "added " << o.name << '\n';
}

void run_named(const ScheduleOptions& o, std::string_view method, std::string_view verb) {
  json::value reply = RpcSession(o.common).call_json(method, json::object{{"name", o.name}});
  if (o.common.json) {
    std::cout << json::serialize(reply) << '\n';
    return;
  }
  if (const auto* id = reply.as_object().if_contains("id"); id != nullptr && id->is_string()) {
    std::cout << verb << ' ' << o.name << ": job " << id->as_string().c_str() << '\n';
    return;
  }
  std::cout << verb << ' ' << o.name << '\n';
}

}  // namespace

void add_schedule_commands(CLI::App& jobs) {
  CLI::App* schedules = jobs.add_subcommand("schedules", "list and manage periodic jobs");
  schedules->require_subcommand(1);
  {
    auto o = std::make_shared<ScheduleOptions>();
    CLI::App* cmd = schedules->add_subcommand(
        "list", "every schedule: spec, state, next and last fire, last job id, counts");
    add_client_options(*cmd, o->common);
    cmd->callback([o] { run_list(*o); });
  }
  {
    auto o = std::make_shared<ScheduleOptions>();
    CLI::App* cmd = schedules->add_subcommand("add",
                                              "add a schedule (kept across restarts "
                                              "when jobs.dead_letter.file is set)");
    add_client_options(*cmd, o->common);
    cmd->add_option("name", o->name, "schedule name")->required();
    cmd->add_option("--spec", o->spec, "cron spec, @hourly-style shortcut or \"@every 10m\"")
        ->required();
    cmd->add_option("--pipeline", o->pipeline, "pipeline to push into")->required();
    cmd->add_option("--job", o->job, "job name workers see")->required();
    cmd->add_option("--payload", o->payload, "payload text");
    cmd->add_option("--header", o->headers, "NAME=VALUE, repeatable");
    cmd->add_option("--timezone", o->timezone, "IANA zone of the cron fields (default UTC)");
    cmd->add_option("--priority", o->priority, "job priority (0: the pipeline's)");
    cmd->add_option("--catch-up", o->catch_up, "skip (default) or once")
        ->check(CLI::IsMember({"skip", "once"}));
    cmd->add_option("--overlap", o->overlap, "skip (default) or allow")
        ->check(CLI::IsMember({"skip", "allow"}));
    cmd->add_flag("--paused", o->paused, "add it paused");
    cmd->callback([o] { run_add(*o); });
  }
  const auto named = [schedules](const char* name, const char* help, std::string_view method,
                                 std::string_view verb) {
    auto o = std::make_shared<ScheduleOptions>();
    CLI::App* cmd = schedules->add_subcommand(name, help);
    add_client_options(*cmd, o->common);
    cmd->add_option("name", o->name, "schedule name")->required();
    cmd->callback([o, method, verb] { run_named(*o, method, verb); });
  };
  named("remove", "remove a schedule (one from the YAML comes back at restart)",
        "jobs.SchedulesRemove", "removed");
  named("pause", "stop firing until resumed (kept across restarts with a host file)",
        "jobs.SchedulesPause", "paused");
  named("resume", "fire again from the next due time", "jobs.SchedulesResume", "resumed");
  named("trigger", "push one job now, outside the due times", "jobs.SchedulesTrigger", "triggered");
}

}  // namespace coyote::host::cli
