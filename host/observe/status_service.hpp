// StatusService: RoadRunner's status plugin for the jobs host — /health, /ready and /jobs on
// status.address, and the status.Status / status.Ready RPC methods.
#pragma once

#include "http/router.hpp"
#include "jobs/engine.hpp"
#include "observe/observe_settings.hpp"
#include "rpc/method_table.hpp"
#include "status/status_answers.hpp"
#include "worker/pool_set.hpp"

namespace coyote::host::observe {

/// Answers are built on the loop from what the engine and pools already hold (cached driver
/// states, worker states); the rules are in status/jobs_health.hpp and the shapes in
/// status/status_answers.hpp. Loop-confined; `engine` and `pools` must outlive it.
class StatusService {
 public:
  StatusService(jobs::Engine& engine, worker::PoolSet& pools, StatusSettings settings);

  /// /health, /ready, /jobs (any method; HEAD gets the header only).
  void add_routes(http::Router& router);
  /// status.Status and status.Ready, over the proto (status.v1.Request/Response) or JSON codec.
  void add_methods(rpc::MethodTable& table);

  /// From now on answer as RoadRunner does while it stops (/health 200 text, others
  /// unavailable).
  void set_shutting_down() noexcept { shutting_down_ = true; }

  /// The plugins' checks: {"jobs": ...} by Status() (`ready` false) or Ready() (`ready` true).
  [[nodiscard]] status::Checks checks(bool ready);

 private:
  [[nodiscard]] status::JobsHealth jobs_health();

  jobs::Engine& engine_;
  worker::PoolSet& pools_;
  StatusSettings settings_;
  bool shutting_down_ = false;
};

}  // namespace coyote::host::observe
