// The status endpoints' answers (/health, /ready, /jobs) and the status.* RPC replies, with
// RoadRunner's JSON shapes and HTTP codes.
#pragma once

#include "status/check.hpp"

#include <coyote/sdk/result.hpp>
#include <coyote/sdk/state.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace coyote::host::status {

struct Answer {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
};

/// One plugin's checks, by plugin name ("jobs"). Built per request by the caller.
using Checks = std::map<std::string, Check>;

/// /health (`checks` from each plugin's Status()) and /ready (from Ready()).
///
/// Body: a JSON array of {"plugin_name","error_message","status_code"}, one per plugin in
/// `requested` (the ?plugin= values, in order) or, when none is requested, per plugin in
/// `checks` (sorted). HTTP status: `unavailable` if any reported plugin is unavailable (code
/// >= 500 or a failed check), else 200. A plugin code within 100-400 is reported as is, others as
/// "unexpected status code". Where Coyote differs from RoadRunner:
///  - an unavailable plugin's error_message says why, not only "internal server error, see logs";
///  - a failed check makes the answer unavailable in both forms (RoadRunner: only without
///    ?plugin=);
///  - a requested plugin that has no check is listed with status_code 404 and a message naming
///    the plugins that have one (RoadRunner silently leaves it out, so a typo in a probe URL
///    reads as healthy); the HTTP status is not changed by it.
/// While shutting down: /health answers 200 text "service is shutting down" (the process is
/// alive, draining), /ready `unavailable` with the same text.
[[nodiscard]] Answer health_answer(const Checks& checks, const std::vector<std::string>& requested,
                                   unsigned unavailable, bool shutting_down);
[[nodiscard]] Answer ready_answer(const Checks& checks, const std::vector<std::string>& requested,
                                  unsigned unavailable, bool shutting_down);

/// /jobs: a JSON array of {"pipeline","priority","ready","queue","active","delayed","reserved",
/// "driver","error_message"}, one per pipeline, sorted by name, 200. RoadRunner fails the whole
/// answer (text "jobs plugin not found", `unavailable`) when any driver's state fails; Coyote
/// reports that pipeline's error in its own error_message and the others normally. `states`
/// absent (no jobs plugin) or shutting down: `unavailable` with RoadRunner's text.
[[nodiscard]] Answer jobs_answer(const std::optional<std::vector<sdk::State>>& states,
                                 unsigned unavailable, bool shutting_down);

/// status.Status / status.Ready: {code, message} for one plugin; an unknown plugin is an
/// error "no such plugin: X" (RoadRunner's text), naming the known ones.
struct RpcReply {
  int code = 200;
  std::string message;
};
[[nodiscard]] sdk::Result<RpcReply> rpc_reply(const Checks& checks, const std::string& plugin);

/// Go's http.Error body and type for a text answer ("text/plain; charset=utf-8", text + "\n").
[[nodiscard]] Answer text_answer(unsigned status, const std::string& text);

}  // namespace coyote::host::status
