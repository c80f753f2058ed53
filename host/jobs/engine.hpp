// Engine: the jobs subsystem — the push path and per-pool queues and dispatchers, over pipelines.
#pragma once

#include "jobs/counters.hpp"
#include "jobs/dead_letter_office.hpp"
#include "jobs/dispatcher.hpp"
#include "jobs/engine_stats.hpp"
#include "jobs/job_class_stats.hpp"
#include "jobs/jobs_service.hpp"
#include "jobs/pipeline_counters.hpp"
#include "jobs/pipelines.hpp"
#include "jobs/priority_queue.hpp"
#include "jobs/response_handler.hpp"
#include "jobs/result_store.hpp"
#include "jobs/unique_keys.hpp"
#include "plugin/driver_catalog.hpp"
#include "worker/job_executor.hpp"

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
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace coyote::host::jobs {

/// What a graceful drain did (Engine::drain).
struct DrainReport {
  std::size_t finished = 0;   ///< answered within the grace (memory pipelines keep dispatching)
  std::size_t returned = 0;   ///< queued, not dispatched: handed back to their drivers
  std::size_t abandoned = 0;  ///< still running when the grace period ended
};

/// The jobs.* keys the engine itself reads (pools and pipelines have their own tables).
[[nodiscard]] std::span<const config::Field> engine_keys();

/// Worker pools by name; "" is the default pool (jobs.pool). Not owned; must outlive the engine.
using Pools = std::map<std::string, worker::JobExecutor*, std::less<>>;

/// Design: one PriorityQueue and one Dispatcher per pool (a PoolLane). A pipeline's driver is
/// given the queue of the pool its pipeline names (jobs.pipelines.<name>.pool, default ""), so a
/// job can only be taken by a worker of the right pool and pools never block each other. Each
/// queue is bounded by jobs.pipeline_size (RoadRunner has a single shared queue; with one pool
/// this is the same).
///
/// The engine is a façade: the pipeline registry is a Pipelines, failed jobs' fate (retry rules,
/// dead letters) a DeadLetterOffice, replies a ResponseHandler. It owns the push path (with
/// its counters), the lanes, start/stop and the graceful drain.
///
/// Threading: construct, start, stop, destroy and call every JobsService method on the loop
/// thread (or before the loop runs). Destroy the engine only once the io_context no longer runs
/// its handlers and the pools no longer call back.
class Engine final : public JobsService {
 public:
  using Done = JobsService::Done;
  /// Reads jobs.pipeline_size, jobs.timeout, jobs.drain_timeout and jobs.consume. Throws
  /// sdk::ConfigError on a bad value and std::invalid_argument when `pools` has no pool.
  /// `drivers` (the plugin registry in `serve`) must outlive the engine.
  Engine(boost::asio::io_context& io, const sdk::Config& config, plugin::DriverCatalog& drivers,
         const Pools& pools);
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  Engine(Engine&&) = delete;
  Engine& operator=(Engine&&) = delete;

  /// Builds every jobs.pipelines.<name> through its driver's from_config and runs those listed
  /// in jobs.consume. Throws sdk::ConfigError (unknown driver, unknown pool, bad options, a
  /// constructor's own ConfigError), plugin::PluginError or std::runtime_error (a driver failed
  /// to start).
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

  /// Results and progress (jobs.results), nullptr when that section is absent.
  [[nodiscard]] ResultStore* results() noexcept { return results_.get(); }

  /// The dead-letter stores, for the coyote.Dead* RPC methods.
  [[nodiscard]] DeadLetters& dead_letters() noexcept { return office_; }
  /// The host's own durable file (jobs.dead_letter.file), nullptr when the stores are in
  /// memory; other host-side state (the schedules' last fires) is kept beside the dead letters.
  [[nodiscard]] DeadLetterFile* host_file() noexcept { return office_.file(); }
  /// The uniqueness keys of the jobs pushed through this host (X-Coyote-Unique-Key).
  [[nodiscard]] UniqueKeys& unique_keys() noexcept { return unique_; }

  void push(sdk::Message message, Done done) override;
  void push_batch(std::vector<sdk::Message> messages, Done done) override;
  sdk::Status pause(const std::vector<std::string>& names) override;
  sdk::Status resume(const std::vector<std::string>& names) override;
  [[nodiscard]] std::vector<std::string> list() const override;
  sdk::Status declare(const std::map<std::string, std::string>& options) override;
  sdk::Result<std::vector<std::string>> destroy(const std::vector<std::string>& names) override;
  [[nodiscard]] sdk::Result<std::vector<sdk::State>> stat() override;

  [[nodiscard]] const Counters& counters() const noexcept { return counters_; }
  /// Per-pipeline counts beside counters().
  [[nodiscard]] const PipelineCounters& pipeline_counters() const noexcept { return per_pipeline_; }
  /// Outcomes and exec times by (pipeline, job name), for the dashboard's Metrics page.
  [[nodiscard]] const JobClassStats& job_classes() const noexcept { return job_classes_; }
  /// Every number the metrics endpoint shows of the engine, copied (loop thread). Costs a
  /// driver state() per pipeline and one step per pipeline per queue, not per queued job.
  [[nodiscard]] EngineStats stats();
  /// The pipeline registry (read-only), e.g. for a pipeline's driver name.
  [[nodiscard]] const Pipelines& pipelines() const noexcept { return pipelines_; }
  /// jobs.timeout (default 60 s). A driver completes its pushes asynchronously and bounds its own
  /// wait by this value (it can read jobs.timeout from its Config).
  [[nodiscard]] std::chrono::milliseconds push_timeout() const noexcept { return push_timeout_; }
  /// Jobs waiting in all queues / executing on workers (or waiting for their dead letter to be
  /// held before their ack) right now.
  [[nodiscard]] std::size_t queued() const;
  [[nodiscard]] std::size_t in_flight() const;
  /// The queue of a pool, nullptr for an unknown pool.
  [[nodiscard]] PriorityQueue* queue(std::string_view pool);

 private:
  /// One pool's queue and the dispatcher that feeds its workers from it.
  struct PoolLane {
    std::unique_ptr<PriorityQueue> queue;
    std::unique_ptr<Dispatcher> dispatcher;
  };
  struct BatchPush;

  /// Resolves the pipeline and applies its defaults; a non-empty text is the refusal.
  std::string admit(sdk::Message& message, PipelineEntry*& entry);
  /// Wraps a loop-side callback into a Completion a driver may call from any thread.
  sdk::Completion on_loop(Done done);
  void push_one(sdk::Message message, Done done);
  void continue_batch(const std::shared_ptr<BatchPush>& batch);
  /// Runs `op` on each named pipeline's driver in order; stops at the first error.
  sdk::Status for_each_pipeline(const std::vector<std::string>& names,
                                sdk::Status (sdk::Driver::*op)());
  [[nodiscard]] bool consumes(std::string_view pipeline) const;
  void drain_tick(std::chrono::steady_clock::time_point deadline, std::size_t at_start,
                  std::size_t returned, std::function<void(const DrainReport&)> done);
  /// Takes a pipeline's jobs out of its pool queue and nacks them back (requeue) to its driver.
  std::size_t hand_back_queued(const std::string& name, PipelineEntry& entry, std::string_view why);
  /// Jobs a worker's answer (or failure) settled so far.
  [[nodiscard]] std::uint64_t settled() const noexcept;
  /// No job of a memory pipeline is in the host (queued or running).
  [[nodiscard]] bool in_process_pipelines_idle();

  boost::asio::io_context& io_;
  const std::thread::id owner_ = std::this_thread::get_id();
  std::shared_ptr<spdlog::logger> log_;
  Counters counters_;
  PipelineCounters per_pipeline_;
  JobClassStats job_classes_;
  std::size_t pipeline_size_;
  std::chrono::milliseconds push_timeout_;
  std::chrono::milliseconds drain_timeout_;
  std::vector<std::string> consume_;
  Pipelines pipelines_;
  DeadLetterOffice office_;
  UniqueKeys unique_;
  ResponseHandler responses_;
  std::unique_ptr<ResultStore> results_;
  // After the pipelines: jobs in flight in a dispatcher go before the drivers they settle into.
  std::map<std::string, PoolLane, std::less<>> lanes_;
  std::unique_ptr<boost::asio::steady_timer> drain_timer_;
  std::uint64_t drain_settled_at_start_ = 0;
  // Jobs waiting for their dead letter when the drain began: counted as settled already (their
  // failure), they finish when acked, which settled() does not count again.
  std::size_t drain_burying_at_start_ = 0;
  bool draining_ = false;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace coyote::host::jobs
