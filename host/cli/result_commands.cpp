#include "cli/result_commands.hpp"

#include "cli/command_failure.hpp"
#include "cli/options.hpp"
#include "cli/rpc_session.hpp"
#include "config/duration.hpp"

#include <boost/json.hpp>

#include <iostream>
#include <memory>
#include <string>

namespace coyote::host::cli {
namespace {

namespace json = boost::json;

/// The job has not finished within the wait.
constexpr int kExitNotFinished = 4;

struct ResultArgs {
  Options common;
  std::string id;
  std::string wait = "0";
};

std::string text_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

int run_result(const ResultArgs& a) {
  const auto wait = config::parse_duration(a.wait);
  if (!wait)
    fail(kExitUsage, "--wait \"" + a.wait + "\" is not a duration; write e.g. 10s or 500ms");
  if (*wait > std::chrono::seconds(55)) {
    fail(kExitUsage,
         "--wait may be at most 55s (the server's limit); run the command again to wait longer");
  }
  json::object request{{"id", a.id}, {"wait_ms", wait->count()}};
  const json::value reply = RpcSession(a.common).call_json("coyote.JobResult", request);
  if (!reply.is_object())
    fail(kExitServiceError, "coyote.JobResult: unexpected reply " + json::serialize(reply));
  const auto& o = reply.get_object();
  const std::string state = text_of(o, "state");
  if (a.common.json) {
    std::cout << json::serialize(o) << '\n';
  } else {
    std::cout << "job " << a.id << ": " << state << '\n';
    if (const auto p = text_of(o, "pipeline"); !p.empty()) std::cout << "pipeline: " << p << '\n';
    if (const auto* n = o.if_contains("attempts");
        n != nullptr && n->is_int64() && n->get_int64() > 0) {
      std::cout << "attempts: " << n->get_int64() << '\n';
    }
    if (const auto* r = o.if_contains("result"); r != nullptr && !r->is_null()) {
      std::cout << "result: " << json::serialize(*r) << '\n';
    }
    if (const auto e = text_of(o, "error"); !e.empty()) std::cout << "error: " << e << '\n';
    if (const auto p = text_of(o, "progress"); !p.empty()) std::cout << "progress: " << p << '\n';
  }
  if (state == "succeeded") return 0;
  if (state == "failed") return kExitServiceError;
  return kExitNotFinished;
}

struct ProgressArgs {
  Options common;
  std::string id;
  std::string text;
};

void run_progress(const ProgressArgs& a) {
  json::object request{{"id", a.id}, {"progress", a.text}};
  (void)RpcSession(a.common).call_json("coyote.JobProgress", request);
  if (a.common.json) {
    std::cout << json::serialize(json::object{{"id", a.id}, {"progress", a.text}}) << '\n';
  } else {
    std::cout << "progress of " << a.id << " recorded\n";
  }
}

}  // namespace

void add_result_commands(CLI::App& jobs) {
  {
    auto a = std::make_shared<ResultArgs>();
    CLI::App* cmd = jobs.add_subcommand(
        "result", "a job's result or failure (and its last progress), waiting with --wait");
    cmd->add_option("id", a->id, "job id")->required();
    cmd->add_option("--wait", a->wait, "wait up to this long for the job to finish (e.g. 10s)");
    add_client_options(*cmd, a->common);
    cmd->callback([a] {
      // Not finished or failed is an answer, not an error: the code tells it, nothing on stderr.
      if (const int code = run_result(*a); code != 0) throw CLI::RuntimeError(code);
    });
  }
  {
    auto a = std::make_shared<ProgressArgs>();
    CLI::App* cmd = jobs.add_subcommand("progress", "record a progress check-in for a running job");
    cmd->add_option("id", a->id, "job id")->required();
    cmd->add_option("text", a->text, "progress text, e.g. \"3/10 files\"")->required();
    add_client_options(*cmd, a->common);
    cmd->callback([a] { run_progress(*a); });
  }
}

}  // namespace coyote::host::cli
