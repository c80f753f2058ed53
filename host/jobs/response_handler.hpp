// ResponseHandler: turns a worker's reply (spec 3.4) or an execution failure into ack / nack /
// requeue on the job's driver, and counts the outcome.
#pragma once

#include "jobs/counters.hpp"
#include "jobs/delivery_rules.hpp"
#include "jobs/pipeline_counters.hpp"
#include "jobs/reply.hpp"
#include "jobs/result_store.hpp"
#include "jobs/retry_policy.hpp"
#include "jobs/trace_context.hpp"
#include "worker/job_executor.hpp"

#include <coyote/sdk/headers.hpp>
#include <coyote/sdk/job.hpp>

#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace coyote::host::jobs {

/// Why an execution produced no usable reply.
enum class Failure {
  kSoftError,    ///< the worker sent an ERROR frame
  kStreamed,     ///< the reply had the STREAM bit
  kWorkerLost,   ///< crash / EOF / bad frame / exec_ttl
  kMalformed,    ///< the reply body could not be parsed
  kDriverError,  ///< the job's driver failed before the job could run (its context threw)
};

/// Loop thread only. Every job handed to handle() gets exactly one acknowledgement call, made
/// through guarded_call: a driver's acknowledgement that throws is that driver's error (logged,
/// counted, then settled as a failed call), never an unwind of the loop.
///
/// The handler owns each job until that call: a job being dead-lettered waits here until its
/// dead letter is safely held (DeliveryRules::bury), and only then is it acked; one whose dead
/// letter could not be held is handed back to its driver instead.
class ResponseHandler {
 public:
  using OwnedJob = std::unique_ptr<sdk::Job>;

  /// Without `rules`: default retry policy and no dead-letter store. Every outcome is counted
  /// in `counters` and, when given, in the job's pipeline's entry of `per_pipeline`.
  ResponseHandler(Counters& counters, std::shared_ptr<spdlog::logger> log,
                  DeliveryRules* rules = nullptr, PipelineCounters* per_pipeline = nullptr);

  /// Returns whether the worker acked the job (ack, or the deprecated "complete"): the
  /// attempt succeeded; false for every other ending (error, nack, requeue, lost worker).
  bool handle(OwnedJob owned, const worker::ExecOutcome& outcome);

  /// The single place that decides the fate of a job whose execution failed without a worker
  /// decision: redelivered with kAttemptHeader = attempt + 1 after the policy's backoff while
  /// attempts remain, then dead-lettered (or dropped with an error naming the job).
  void settle_failed(OwnedJob owned, Failure failure, std::string_view why);

  /// Called with each job that is done for good (acked, dead-lettered, dropped), right after
  /// its driver accepted the call; not for a job redelivered or handed back.
  void on_finished(std::function<void(const sdk::Job&)> finished) {
    finished_ = std::move(finished);
  }
  /// Where each job's end is reported (jobs.results); nullptr (the default) costs nothing.
  void set_results(ResultSink* results) noexcept { results_ = results; }
  /// The Traceparent nodes taken back from acknowledged jobs, for the dispatchers to reuse.
  [[nodiscard]] TraceparentNodes& trace_nodes() noexcept { return trace_nodes_; }

  /// Jobs waiting for their dead letter to be held before their ack.
  [[nodiscard]] std::size_t burying() const noexcept { return burying_.size(); }

  /// How long a job whose dead letter could not be held waits at its driver before it is
  /// delivered again (and, failing again, dead-lettered again).
  static constexpr std::chrono::seconds kBuryRetryDelay{5};

  /// Hands a job that never ran back to its driver for redelivery (graceful drain):
  /// nack_with_options(true, 0).
  static sdk::Status hand_back(sdk::Job& job);

 private:
  /// The job is finished with failure: into the dead-letter store and acked, else `fallback`
  /// (the call RoadRunner would make) with an error log line naming the job.
  void give_up(OwnedJob owned, std::string_view reason, std::int64_t attempts,
               bool fallback_is_nack);
  void buried(std::uint64_t token, const sdk::Status& status);
  void apply_reply(OwnedJob owned, const Reply& reply);
  /// An acknowledgement call failed: count an error and ack, as RoadRunner does "to prevent an
  /// endless loop".
  void ack_after_error(sdk::Job& job, std::string_view what, const sdk::Status& status);
  /// The job's pipeline's counters, looked up while the job is intact (a driver's requeue may
  /// move its message out); nullptr without per-pipeline counters.
  [[nodiscard]] Counters* pipeline_counters(const sdk::Job& job) {
    return per_pipeline_ != nullptr ? &per_pipeline_->of(job.pipeline()) : nullptr;
  }
  void count(Counters* pipeline, std::uint64_t Counters::*outcome) {
    ++(counters_.*outcome);
    if (pipeline != nullptr) ++(pipeline->*outcome);
  }
  // The job's acknowledgement calls, guarded (plugin code).
  sdk::Status ack(sdk::Job& job);
  sdk::Status nack(sdk::Job& job, bool requeue, std::chrono::seconds delay);
  static sdk::Status guarded_nack(sdk::Job& job, bool requeue, std::chrono::seconds delay);
  static sdk::Status requeue(sdk::Job& job, const sdk::Headers& headers,
                             std::chrono::seconds delay);

  Counters& counters_;
  std::shared_ptr<spdlog::logger> log_;
  DeliveryRules* rules_;
  PipelineCounters* per_pipeline_;
  RetryPolicy default_policy_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::uint64_t next_token_ = 0;
  std::map<std::uint64_t, OwnedJob> burying_;
  std::function<void(const sdk::Job&)> finished_;
  ResultSink* results_ = nullptr;
  TraceparentNodes trace_nodes_;
};

}  // namespace coyote::host::jobs
