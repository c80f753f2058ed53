// DashboardApi: the dashboard's JSON API under /api/ (docs/dashboard.md), over the engine, the
// worker pools and the RPC method table — the same functions jobs.*, informer.*, resetter.* and
// coyote.Dead* call, so the dashboard can do nothing the RPC cannot and shares its checks.
#pragma once

#include "dashboard/rate_history.hpp"
#include "dashboard/request_guard.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace coyote::host::jobs {
class Engine;
}
namespace coyote::host::worker {
class PoolSet;
}
namespace coyote::host::rpc {
class MethodTable;
}

namespace coyote::host::dashboard {

struct ApiOptions {
  std::string version;
  std::size_t payload_preview = std::size_t{64} * 1024;
  std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
};

/// Loop-confined. `pools` may be null (no worker pool configured). The references must outlive
/// the API.
class DashboardApi {
 public:
  using Answer = std::function<void(http::Response)>;

  DashboardApi(jobs::Engine& engine, worker::PoolSet* pools, const rpc::MethodTable& rpc,
               const RateHistory& history, const RequestGuard& guard, ApiOptions options);

  /// Answers one request whose path starts with /api/ (now, or once a driver or pool
  /// completes). Every answer is JSON, errors as {"error": "..."} with a 4xx status.
  void handle(const http::Request& request, const Answer& answer);

  /// GET /api/overview's object; `with_history` adds the rate history (the SSE stream sends
  /// only the newest point).
  [[nodiscard]] std::string overview_json(bool with_history);

  /// The counter totals RateHistory samples.
  [[nodiscard]] RateHistory::Sample sample() const;

 private:
  void get_request(std::string_view path, const http::Request& request, const Answer& answer);
  void post_request(std::string_view path, const http::Request& request, const Answer& answer);
  [[nodiscard]] http::Response pipelines_json();
  [[nodiscard]] http::Response workers_json() const;
  /// GET /api/job-classes: the engine's JobClassStats, by total exec time, largest first.
  [[nodiscard]] http::Response job_classes_json() const;
  [[nodiscard]] http::Response dead_list(const http::Request& request) const;
  [[nodiscard]] http::Response dead_job(const http::Request& request) const;
  void pipelines_action(std::string_view action, const std::string& body, const Answer& answer);
  void workers_action(std::string_view action, const std::string& body, const Answer& answer);
  void dead_action(std::string_view action, const std::string& body, const Answer& answer);
  void stop_worker(const boost::json::object& request, const Answer& answer);
  void schedules_action(std::string_view action, const std::string& body, const Answer& answer);
  void push(const std::string& body, const Answer& answer);

  jobs::Engine& engine_;
  worker::PoolSet* pools_;
  const rpc::MethodTable& rpc_;
  const RateHistory& history_;
  const RequestGuard& guard_;
  ApiOptions options_;
};

/// True for the POST endpoints (they change state): /api/push and everything under
/// /api/pipelines/, /api/workers/, /api/dead/ and /api/schedules/ except /api/dead/job.
[[nodiscard]] bool is_action(std::string_view path) noexcept;

/// A payload as the detail view shows it: "text" when it is UTF-8 without control characters
/// other than tab, CR and LF, else "hex"; at most `cap` bytes of it.
struct PayloadPreview {
  std::string encoding;  ///< "text" or "hex"
  std::string data;
  bool truncated = false;
};
[[nodiscard]] PayloadPreview preview_payload(std::string_view payload, std::size_t cap);

}  // namespace coyote::host::dashboard
