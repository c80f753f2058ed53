#include "worker/pool_set.hpp"

#include <memory>

namespace coyote::host::worker {

std::vector<PoolConfig> pool_configs_from(const sdk::Config& config) {
  // jobs.pool and jobs.pools exclude each other (check_pool_rules, in the schema).
  const bool named = config.has("jobs.pools");
  std::vector<PoolConfig> out;
  if (named) {
    for (const auto& name : config.keys("jobs.pools")) {
      out.push_back(pool_config_from(config, "jobs.pools." + name, name));
    }
    if (out.empty()) throw config.error_at("jobs.pools", "declares no pool");
    return out;
  }
  out.push_back(pool_config_from(config, "jobs.pool", ""));
  return out;
}

PoolSet::PoolSet(boost::asio::io_context& io, std::vector<PoolConfig> pools,
                 const ServerConfig& server, const std::vector<std::string>& host_env) {
  for (auto& p : pools) {
    pools_.push_back(std::make_unique<WorkerPool>(io, std::move(p), server, host_env));
  }
}

void PoolSet::start() {
  for (auto& p : pools_) p->start();
}

void PoolSet::stop(std::function<void()> done) {
  if (pools_.empty()) {
    done();
    return;
  }
  auto remaining = std::make_shared<std::size_t>(pools_.size());
  auto shared_done = std::make_shared<std::function<void()>>(std::move(done));
  for (auto& p : pools_) {
    p->stop([remaining, shared_done] {
      if (--*remaining == 0) (*shared_done)();
    });
  }
}

int PoolSet::pool_index(std::string_view name) const {
  for (std::size_t i = 0; i < pools_.size(); ++i) {
    if (pools_[i]->config().name == name) return static_cast<int>(i);
  }
  return -1;
}

WorkerPool* PoolSet::pool(std::string_view name) {
  const int i = pool_index(name);
  return i < 0 ? nullptr : pools_[static_cast<std::size_t>(i)].get();
}

JobExecutor* PoolSet::executor(std::string_view name) { return pool(name); }

std::vector<std::string> PoolSet::names() const {
  std::vector<std::string> out;
  out.reserve(pools_.size());
  for (const auto& p : pools_) out.push_back(p->config().name);
  return out;
}

WorkerPool* PoolSet::primary() {
  if (auto* p = pool("")) return p;
  return pools_.empty() ? nullptr : pools_.front().get();
}

std::vector<WorkerInfo> PoolSet::workers() const {
  std::vector<WorkerInfo> out;
  for (const auto& p : pools_) {
    auto w = p->workers();
    out.insert(out.end(), std::make_move_iterator(w.begin()), std::make_move_iterator(w.end()));
  }
  return out;
}

void PoolSet::reset(ResetDone done) {
  if (pools_.empty()) {
    done(sdk::Status::ok());
    return;
  }
  struct State {
    std::size_t remaining;
    std::string errors;  ///< every failed pool's error, "; "-separated
    ResetDone done;
  };
  auto state = std::make_shared<State>(State{pools_.size(), {}, std::move(done)});
  for (auto& p : pools_) {
    p->reset([state](const sdk::Status& outcome) {
      if (!outcome) {
        if (!state->errors.empty()) state->errors += "; ";
        state->errors += outcome.message();
      }
      if (--state->remaining != 0) return;
      state->done(state->errors.empty() ? sdk::Status::ok() : sdk::Status::error(state->errors));
    });
  }
}

sdk::Status PoolSet::add_worker() {
  auto* p = primary();
  if (p == nullptr) return sdk::Status::error("no worker pool is configured");
  return p->add_worker();
}

sdk::Status PoolSet::remove_worker() {
  auto* p = primary();
  if (p == nullptr) return sdk::Status::error("no worker pool is configured");
  return p->remove_worker();
}

std::vector<PoolStats> PoolSet::stats() const {
  std::vector<PoolStats> out;
  out.reserve(pools_.size());
  for (const auto& pool : pools_) out.push_back(pool->stats());
  return out;
}

}  // namespace coyote::host::worker
