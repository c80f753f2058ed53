#include "status/status_answers.hpp"

#include <coyote/sdk/json_text.hpp>

#include <algorithm>

namespace coyote::host::status {

namespace {

constexpr const char* kShuttingDown = "service is shutting down";

struct Report {
  std::string plugin;
  std::string error;
  int code = 200;
};

std::string known_plugins(const Checks& checks) {
  std::string out;
  for (const auto& [name, check] : checks) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? std::string("none") : out;
}

// One plugin's line and whether it makes the answer unavailable.
bool report_of(const std::string& name, const Check& c, unsigned unavailable, Report& out) {
  out.plugin = name;
  if (c.failed) {
    out.error = c.message.empty() ? std::string("check failed") : c.message;
    out.code = static_cast<int>(unavailable);
    return true;
  }
  if (c.code >= 500) {
    out.error = c.message.empty() ? std::string("internal server error, see logs") : c.message;
    out.code = static_cast<int>(unavailable);
    return true;
  }
  if (c.code >= 100 && c.code <= 400) {
    out.code = c.code;
    return false;
  }
  out.error = "unexpected status code";
  out.code = c.code;
  return false;
}

Answer reports_answer(const Checks& checks, const std::vector<std::string>& requested,
                      unsigned unavailable) {
  std::vector<Report> reports;
  bool down = false;
  if (requested.empty()) {
    for (const auto& [name, check] : checks) {
      Report r;
      down = report_of(name, check, unavailable, r) || down;
      reports.push_back(std::move(r));
    }
  } else {
    for (const auto& name : requested) {
      Report r;
      const auto it = checks.find(name);
      if (it == checks.end()) {
        r.plugin = name;
        r.error =
            "no such plugin: " + name + " (plugins with checks: " + known_plugins(checks) + ")";
        r.code = 404;
      } else {
        down = report_of(name, it->second, unavailable, r) || down;
      }
      reports.push_back(std::move(r));
    }
  }
  Answer a;
  a.status = down ? unavailable : 200;
  a.body.push_back('[');
  for (std::size_t i = 0; i < reports.size(); ++i) {
    if (i != 0) a.body.push_back(',');
    a.body += "{\"plugin_name\":";
    sdk::json_text::append_string(a.body, reports[i].plugin);
    a.body += ",\"error_message\":";
    sdk::json_text::append_string(a.body, reports[i].error);
    a.body += ",\"status_code\":" + std::to_string(reports[i].code) + "}";
  }
  a.body.push_back(']');
  return a;
}

}  // namespace

Answer text_answer(unsigned status, const std::string& text) {
  Answer a;
  a.status = status;
  a.content_type = "text/plain; charset=utf-8";
  a.body = text + "\n";
  return a;
}

Answer health_answer(const Checks& checks, const std::vector<std::string>& requested,
                     unsigned unavailable, bool shutting_down) {
  // Liveness stays 200 while draining, so an orchestrator does not kill a process that is
  // finishing its jobs.
  if (shutting_down) return text_answer(200, kShuttingDown);
  return reports_answer(checks, requested, unavailable);
}

Answer ready_answer(const Checks& checks, const std::vector<std::string>& requested,
                    unsigned unavailable, bool shutting_down) {
  if (shutting_down) return text_answer(unavailable, kShuttingDown);
  return reports_answer(checks, requested, unavailable);
}

Answer jobs_answer(const std::optional<std::vector<sdk::State>>& states, unsigned unavailable,
                   bool shutting_down) {
  if (shutting_down) return text_answer(unavailable, kShuttingDown);
  if (!states) return text_answer(unavailable, "jobs plugin not found");
  std::vector<const sdk::State*> sorted;
  sorted.reserve(states->size());
  for (const auto& s : *states) sorted.push_back(&s);
  std::stable_sort(sorted.begin(), sorted.end(), [](const sdk::State* a, const sdk::State* b) {
    return a->pipeline < b->pipeline;
  });
  Answer a;
  a.body.push_back('[');
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const sdk::State& s = *sorted[i];
    if (i != 0) a.body.push_back(',');
    a.body += "{\"pipeline\":";
    sdk::json_text::append_string(a.body, s.pipeline);
    a.body += ",\"priority\":" + std::to_string(s.priority);
    a.body += std::string(",\"ready\":") + (s.ready ? "true" : "false");
    a.body += ",\"queue\":";
    sdk::json_text::append_string(a.body, s.queue);
    a.body += ",\"active\":" + std::to_string(s.active);
    a.body += ",\"delayed\":" + std::to_string(s.delayed);
    a.body += ",\"reserved\":" + std::to_string(s.reserved);
    a.body += ",\"driver\":";
    sdk::json_text::append_string(a.body, s.driver);
    a.body += ",\"error_message\":";
    sdk::json_text::append_string(a.body, s.error);
    a.body.push_back('}');
  }
  a.body.push_back(']');
  return a;
}

sdk::Result<RpcReply> rpc_reply(const Checks& checks, const std::string& plugin) {
  const auto it = checks.find(plugin);
  if (it == checks.end()) {
    return sdk::Result<RpcReply>::failure("no such plugin: " + plugin +
                                          " (plugins with checks: " + known_plugins(checks) + ")");
  }
  if (it->second.failed) {
    return sdk::Result<RpcReply>::failure(it->second.message.empty() ? "check failed"
                                                                     : it->second.message);
  }
  return RpcReply{it->second.code, it->second.message};
}

}  // namespace coyote::host::status
