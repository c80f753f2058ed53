// Engine: the jobs subsystem — pipelines and their drivers, per-pool queues and dispatchers.
#pragma once

#include "jobs/counters.hpp"
#include "jobs/dead_letter_store.hpp"
#include "jobs/dispatcher.hpp"
#include "jobs/priority_queue.hpp"
#include "jobs/response.hpp"
#include "jobs/retry_policy.hpp"
#include "jobs/service.hpp"
#include "plugin/driver_catalog.hpp"
#include "worker/executor.hpp"

#include <coyote/sdk/config.hpp>
#include <coyote/sdk/driver.hpp>
#include <coyote/sdk/pipeline.hpp>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace coyote::host::jobs {

/// What a graceful drain did (Engine::drain).
struct DrainReport {
  std::size_t finished = 0;   ///< in flight when the drain began, answered within the grace
  std::size_t returned = 0;   ///< queued, not dispatched: handed back to their drivers
  std::size_t abandoned = 0;  ///< still running when the grace period ended
};

/// Worker pools by name; "" is the default pool (jobs.pool). Not owned; must outlive the engine.
using Pools = std::map<std::string, worker::JobExecutor*, std::less<>>;

/// Design: one PriorityQueue and one Dispatcher per pool. A pipeline's driver is given the queue
/// of the pool its pipeline names (jobs.pipelines.<name>.pool, default ""), so a job can only be
/// taken by a worker of the right pool and pools never block each other. Each queue is bounded by
/// jobs.pipeline_size (RoadRunner has a single shared queue; with one pool this is the same).
///
/// Threading: construct, start, stop, destroy and call every JobsService method on the loop
/// thread (or before the loop runs). Destroy the engine only once the io_context no longer runs
/// its handlers and the pools no longer call back.
class Engine final : public JobsService, public DeliveryRules, public DeadLetters {
 public:
  using Done = JobsService::Done;
  /// Reads jobs.pipeline_size, jobs.timeout and jobs.consume. Throws sdk::ConfigError on a bad
  /// value and std::invalid_argument when `pools` has no pool.
  /// `drivers` (the plugin registry in `serve`) must outlive the engine.
  Engine(boost::asio::io_context& io, const sdk::Config& config, plugin::DriverCatalog& drivers,
         Pools pools);
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Builds every jobs.pipelines.<name> through its driver's from_config and runs those listed
  /// in jobs.consume. Throws sdk::ConfigError (unknown driver, unknown pool, bad options, a
  /// constructor's own ConfigError) or std::runtime_error (a driver failed to start).
  void start();

  /// Graceful-stop step 1: no more dispatching or pushes; each pipeline's queued jobs are removed
  /// from the queue (and dropped), then its driver is stopped. Replies for jobs already running
  /// are still handled. Idempotent.
  void stop();

  /// Graceful-stop step 0 (SIGTERM): dispatching stops and every pipeline is paused; queued
  /// jobs are handed back to their drivers (nack with redelivery); jobs in flight get up to
  /// `grace` to finish. Then `done` runs on the loop with the counts (also logged). Call stop()
  /// after it. Pushes are still accepted meanwhile (the driver keeps them).
  void drain(std::chrono::milliseconds grace, std::function<void(const DrainReport&)> done);
  /// jobs.drain_timeout (default 30 s).
  [[nodiscard]] std::chrono::milliseconds drain_timeout() const noexcept { return drain_timeout_; }

  // DeadLetters (the coyote.Dead* RPC methods)
  [[nodiscard]] std::vector<std::string> dead_stores() const override { return dead_.stores(); }
  [[nodiscard]] std::vector<DeadJob> dead_list(std::string_view store) const override {
    return dead_.list(store);
  }
  void dead_replay(std::string_view store, std::string_view id, Done done) override;
  void dead_delete(std::string_view store, std::string_view id, Done done) override;

  // DeliveryRules
  [[nodiscard]] const RetryPolicy& retry_policy(std::string_view pipeline) const override;
  bool bury(const sdk::Job& job, std::string_view reason, std::int64_t attempts) override;

  void push(sdk::Message message, Done done) override;
  void push_batch(std::vector<sdk::Message> messages, Done done) override;
  sdk::Status pause(const std::vector<std::string>& pipelines) override;
  sdk::Status resume(const std::vector<std::string>& pipelines) override;
  [[nodiscard]] std::vector<std::string> list() const override;
  sdk::Status declare(const std::map<std::string, std::string>& options) override;
  sdk::Status destroy(const std::vector<std::string>& pipelines,
                      std::vector<std::string>& destroyed) override;
  sdk::Status stat(std::vector<sdk::State>& states) override;

  [[nodiscard]] const Counters& counters() const noexcept { return counters_; }
  /// jobs.timeout (default 60 s). A driver completes its pushes asynchronously and bounds its own
  /// wait by this value (it can read jobs.timeout from its Config).
  [[nodiscard]] std::chrono::milliseconds push_timeout() const noexcept { return push_timeout_; }
  /// Jobs waiting in all queues / executing on workers right now.
  [[nodiscard]] std::size_t queued() const;
  [[nodiscard]] std::size_t in_flight() const;
  /// The queue of a pool, nullptr for an unknown pool.
  [[nodiscard]] PriorityQueue* queue(std::string_view pool);

 private:
  struct Lane {
    std::unique_ptr<PriorityQueue> queue;
    std::unique_ptr<Dispatcher> dispatcher;
  };
  struct Entry {
    sdk::Pipeline pipeline;
    std::string pool;
    std::unique_ptr<sdk::Driver> driver;
  };
  using Build = std::function<std::unique_ptr<sdk::Driver>(sdk::DriverConstructor&, sdk::Queue&,
                                                           const sdk::Pipeline&)>;

  void build_from_config(const std::string& name);
  [[nodiscard]] std::string unknown_driver_text(std::string_view driver,
                                                std::string_view pipeline) const;
  [[nodiscard]] std::string unknown_pool_text(std::string_view pool,
                                              std::string_view pipeline) const;
  /// Resolves the pipeline and applies its defaults; a non-empty text is the refusal.
  std::string admit(sdk::Message& message, Entry*& entry);
  /// Wraps a loop-side callback into a Completion a driver may call from any thread.
  sdk::Completion on_loop(Done done);
  void push_one(sdk::Message message, Done done);
  struct BatchPush;
  void continue_batch(std::shared_ptr<BatchPush> batch);
  void keep_dead(const std::string& target, DeadJob dead);
  [[nodiscard]] bool consumes(std::string_view pipeline) const;
  void set_rules(const std::string& pipeline, RetryPolicy policy, std::string dead_letter);
  void drain_tick(std::chrono::steady_clock::time_point deadline, std::size_t at_start,
                  std::size_t returned, std::function<void(const DrainReport&)> done);

  struct Rules {
    RetryPolicy policy;
    std::string dead_letter;
  };

  boost::asio::io_context& io_;
  const std::thread::id owner_ = std::this_thread::get_id();
  const sdk::Config& config_;
  plugin::DriverCatalog& drivers_;
  Pools pools_;
  std::shared_ptr<spdlog::logger> log_;
  Counters counters_;
  ResponseHandler responses_;
  std::size_t pipeline_size_;
  std::chrono::milliseconds push_timeout_;
  std::chrono::milliseconds drain_timeout_;
  std::vector<std::string> consume_;
  std::map<std::string, Rules, std::less<>> rules_;
  RetryPolicy default_policy_;
  DeadLetterStore dead_;
  std::unique_ptr<boost::asio::steady_timer> drain_timer_;
  bool draining_ = false;
  std::map<std::string, Lane, std::less<>> lanes_;
  std::map<std::string, Entry, std::less<>> pipelines_;
  // Destroyed pipelines' drivers stay alive until the engine goes: a job of theirs may still be
  // running and will call ack/nack on them.
  std::vector<std::unique_ptr<sdk::Driver>> retired_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace coyote::host::jobs
