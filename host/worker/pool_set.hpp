// PoolSet: the jobs worker pools (`jobs.pool` and/or `jobs.pools.<name>`) behind one PoolControl.
#pragma once

#include "worker/pool_config.hpp"
#include "worker/pool_control.hpp"
#include "worker/worker_pool.hpp"

#include <coyote/sdk/config.hpp>

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::worker {

/// Reads the pool sections of a validated config: `jobs.pool` (the default pool, name "") or
/// `jobs.pools.<name>` (named pools, no default). Neither: one default pool.
[[nodiscard]] std::vector<PoolConfig> pool_configs_from(const sdk::Config& config);

/// Owns the pools. Loop-thread only. stop() before destruction.
class PoolSet final : public PoolControl {
 public:
  PoolSet(boost::asio::io_context& io, std::vector<PoolConfig> pools, const ServerConfig& server,
          const std::vector<std::string>& host_env = host_environment());

  void start();
  /// Stops every pool; `done` when all worker processes are gone.
  void stop(std::function<void()> done);

  /// The pool for a job: "" = the default pool (jobs.pool). nullptr when there is no such pool
  /// (the engine nacks the job, spec 3.1).
  [[nodiscard]] JobExecutor* executor(std::string_view name);
  [[nodiscard]] WorkerPool* pool(std::string_view name);
  [[nodiscard]] std::vector<std::string> names() const;
  [[nodiscard]] bool has_default() const { return pool_index("") >= 0; }
  /// Every pool's PoolStats, in configuration order.
  [[nodiscard]] std::vector<PoolStats> stats() const;

  // PoolControl over all pools; add/remove act on the default pool, else the first one.
  [[nodiscard]] std::vector<WorkerInfo> workers() const override;
  void reset(ResetDone done) override;
  sdk::Status add_worker() override;
  sdk::Status remove_worker() override;

 private:
  [[nodiscard]] int pool_index(std::string_view name) const;
  WorkerPool* primary();

  std::vector<std::unique_ptr<WorkerPool>> pools_;
};

}  // namespace coyote::host::worker
