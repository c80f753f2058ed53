#include "jobs/response_handler.hpp"

#include "support/guarded_call.hpp"

#include <utility>

namespace coyote::host::jobs {
namespace {

constexpr std::uint64_t kNoError = 0;  // deprecated "complete"
constexpr std::uint64_t kError = 1;    // deprecated "fail"
constexpr std::uint64_t kAck = 2;
constexpr std::uint64_t kNack = 3;
constexpr std::uint64_t kRequeue = 4;
constexpr std::size_t kLoggedBodyBytes = 512;

std::string_view clip(std::string_view bytes) { return bytes.substr(0, kLoggedBodyBytes); }

/// The prefix of a guarded call's error, built only when a call threw.
auto job_context(const sdk::Job& job) {
  return [&job] { return "job " + job.id() + " (pipeline " + job.pipeline() + ")"; };
}

}  // namespace

ResponseHandler::ResponseHandler(Counters& counters, std::shared_ptr<spdlog::logger> log,
                                 DeliveryRules* rules, PipelineCounters* per_pipeline)
    : counters_(counters), log_(std::move(log)), rules_(rules), per_pipeline_(per_pipeline) {}

void ResponseHandler::handle(sdk::Job& job, const worker::ExecOutcome& outcome) {
  using Kind = worker::ExecOutcome::Kind;
  switch (outcome.kind) {
    case Kind::kResponse: {
      auto reply = parse_reply(outcome.body);
      if (!reply) {
        log_->error("job {} (pipeline {}): malformed worker reply ({}); body: {:?}", job.id(),
                    job.pipeline(), reply.error(), clip(outcome.body));
        settle_failed(job, Failure::kMalformed, "malformed reply: " + reply.error());
        return;
      }
      apply_reply(job, *reply);
      return;
    }
    case Kind::kSoftError:
      settle_failed(job, Failure::kSoftError, outcome.message);
      return;
    case Kind::kStreamed:
      settle_failed(job, Failure::kStreamed, "streamed replies are not supported for jobs");
      return;
    case Kind::kWorkerLost:
      settle_failed(job, Failure::kWorkerLost, outcome.message);
      return;
  }
}

void ResponseHandler::apply_reply(sdk::Job& job, const Reply& reply) {
  Counters* const mine = pipeline_counters(job);
  switch (reply.type) {
    case kNoError:
    case kAck: {
      auto status = ack(job);
      if (!status) return ack_after_error(job, "ack", status);
      count(mine, &Counters::jobs_ok);
      return;
    }
    case kError: {
      if (reply.requeue) {
        auto status = requeue(job, reply.headers, reply.delay);
        if (!status) return ack_after_error(job, "requeue", status);
        count(mine, &Counters::jobs_requeue);
        return;
      }
      count(mine, &Counters::jobs_err);
      give_up(job, "failed by the worker: " + reply.message, attempt_of(job.headers()), false);
      return;
    }
    case kNack: {
      log_->debug("job {} nacked (requeue {}): {}", job.id(), reply.requeue, reply.message);
      if (!reply.requeue) {
        count(mine, &Counters::jobs_err);
        give_up(job, "nacked by the worker: " + reply.message, attempt_of(job.headers()), true);
        return;
      }
      auto status = nack(job, true, reply.delay);
      if (!status) return ack_after_error(job, "nack", status);
      count(mine, &Counters::jobs_requeue);
      return;
    }
    case kRequeue: {
      log_->debug("job {} requeued: {}", job.id(), reply.message);
      auto status = requeue(job, reply.headers, reply.delay);
      if (!status) return ack_after_error(job, "requeue", status);
      count(mine, &Counters::jobs_requeue);
      return;
    }
    default: {
      log_->warn("job {}: unknown response type {}, acknowledging the JOB", job.id(), reply.type);
      auto status = ack(job);
      if (!status) return ack_after_error(job, "ack", status);
      count(mine, &Counters::jobs_ok);
      return;
    }
  }
}

void ResponseHandler::settle_failed(sdk::Job& job, Failure failure, std::string_view why) {
  Counters* const mine = pipeline_counters(job);
  count(mine, &Counters::jobs_err);
  const RetryPolicy& policy =
      rules_ != nullptr ? rules_->retry_policy(job.pipeline()) : default_policy_;
  const std::int64_t attempt = attempt_of(job.headers());
  const char* what = "failed";
  switch (failure) {
    case Failure::kMalformed:
      what = "answered a malformed reply";
      break;
    case Failure::kSoftError:
      what = "worker error";
      break;
    case Failure::kStreamed:
      what = "streamed reply";
      break;
    case Failure::kWorkerLost:
      what = "worker lost";
      break;
    case Failure::kDriverError:
      what = "driver error";
      break;
  }
  if (attempt < policy.max_attempts) {
    const auto delay = policy.delay_after(attempt, rng_);
    const sdk::Headers next{{std::string(kAttemptHeader), {std::to_string(attempt + 1)}}};
    // A driver's requeue may move the message out of the job: name it before.
    const std::string id = job.id();
    const std::string pipeline = job.pipeline();
    auto status = requeue(job, next, driver_delay(delay));
    if (status) {
      count(mine, &Counters::jobs_retried);
      log_->warn("job {} (pipeline {}): {} ({}) on attempt {}/{}; redelivering in {}s", id,
                 pipeline, what, why, attempt, policy.max_attempts, driver_delay(delay).count());
      return;
    }
    log_->error("job {} (pipeline {}): {} ({}); the driver refused the redelivery: {}", id,
                pipeline, what, why, status.message());
  }
  give_up(job, std::string(what) + ": " + std::string(why), attempt, true);
}

void ResponseHandler::give_up(sdk::Job& job, std::string_view reason, std::int64_t attempts,
                              bool fallback_is_nack) {
  Counters* const mine = pipeline_counters(job);
  if (rules_ != nullptr && rules_->bury(job, reason, attempts)) {
    count(mine, &Counters::jobs_dead);
    log_->warn("job {} (pipeline {}) dead-lettered after {} attempt(s): {}", job.id(),
               job.pipeline(), attempts, reason);
    auto status = ack(job);
    if (!status) {
      log_->error("job {} (pipeline {}): ack after dead-lettering failed: {}", job.id(),
                  job.pipeline(), status.message());
    }
    return;
  }
  count(mine, &Counters::jobs_dropped);
  log_->error("job {} (pipeline {}) dropped after {} attempt(s), no dead_letter configured: {}",
              job.id(), job.pipeline(), attempts, reason);
  auto status = fallback_is_nack ? nack(job, false, std::chrono::seconds{0}) : ack(job);
  if (!status) {
    log_->error("job {} (pipeline {}): driver refused to settle the failed job: {}", job.id(),
                job.pipeline(), status.message());
  }
}

void ResponseHandler::ack_after_error(sdk::Job& job, std::string_view what,
                                      const sdk::Status& status) {
  Counters* const mine = pipeline_counters(job);
  count(mine, &Counters::jobs_err);
  if (what == "ack") {
    log_->error("job {} (pipeline {}): ack failed: {}", job.id(), job.pipeline(), status.message());
    return;
  }
  log_->error("job {} (pipeline {}): {} failed: {}; acknowledging it", job.id(), job.pipeline(),
              what, status.message());
  auto ack_status = ack(job);
  if (!ack_status) {
    log_->error("job {} (pipeline {}): ack failed too: {}", job.id(), job.pipeline(),
                ack_status.message());
  }
}

sdk::Status ResponseHandler::hand_back(sdk::Job& job) {
  return nack(job, true, std::chrono::seconds{0});
}

sdk::Status ResponseHandler::ack(sdk::Job& job) {
  return support::guarded_call(job_context(job), "ack", [&] { return job.ack(); });
}

sdk::Status ResponseHandler::nack(sdk::Job& job, bool requeue, std::chrono::seconds delay) {
  return support::guarded_call(job_context(job), "nack",
                               [&] { return job.nack_with_options(requeue, delay); });
}

sdk::Status ResponseHandler::requeue(sdk::Job& job, const sdk::Headers& headers,
                                     std::chrono::seconds delay) {
  return support::guarded_call(job_context(job), "requeue",
                               [&] { return job.requeue(headers, delay); });
}

}  // namespace coyote::host::jobs
