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

bool ResponseHandler::handle(OwnedJob owned, const worker::ExecOutcome& outcome) {
  using Kind = worker::ExecOutcome::Kind;
  switch (outcome.kind) {
    case Kind::kResponse: {
      auto reply = parse_reply(outcome.body);
      if (!reply) {
        log_->error("job {} (pipeline {}): malformed worker reply ({}); body: {:?}", owned->id(),
                    owned->pipeline(), reply.error(), clip(outcome.body));
        settle_failed(std::move(owned), Failure::kMalformed, "malformed reply: " + reply.error());
        return false;
      }
      apply_reply(std::move(owned), *reply);
      // Whatever the driver then answers: the job's class succeeded when its worker acked.
      return reply->type != kError && reply->type != kNack && reply->type != kRequeue;
    }
    case Kind::kSoftError:
      settle_failed(std::move(owned), Failure::kSoftError, outcome.message);
      return false;
    case Kind::kStreamed:
      settle_failed(std::move(owned), Failure::kStreamed,
                    "streamed replies are not supported for jobs");
      return false;
    case Kind::kWorkerLost:
      settle_failed(std::move(owned), Failure::kWorkerLost, outcome.message);
      return false;
  }
  return false;
}

void ResponseHandler::apply_reply(OwnedJob owned, const Reply& reply) {
  sdk::Job& job = *owned;
  Counters* const mine = pipeline_counters(job);
  switch (reply.type) {
    case kNoError:
    case kAck: {
      if (results_ != nullptr)
        results_->record(job, true, reply.result, {}, attempt_of(job.headers()));
      auto status = ack(job);
      if (!status) return ack_after_error(job, "ack", status);
      count(mine, &Counters::jobs_ok);
      trace_nodes_.reclaim(job.headers());  // the job is destroyed next
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
      const std::int64_t attempts = attempt_of(job.headers());
      give_up(std::move(owned), "failed by the worker: " + reply.message, attempts, false);
      return;
    }
    case kNack: {
      log_->debug("job {} nacked (requeue {}): {}", job.id(), reply.requeue, reply.message);
      if (!reply.requeue) {
        count(mine, &Counters::jobs_err);
        const std::int64_t attempts = attempt_of(job.headers());
        give_up(std::move(owned), "nacked by the worker: " + reply.message, attempts, true);
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

void ResponseHandler::settle_failed(OwnedJob owned, Failure failure, std::string_view why) {
  sdk::Job& job = *owned;
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
  give_up(std::move(owned), std::string(what) + ": " + std::string(why), attempt, true);
}

void ResponseHandler::give_up(OwnedJob owned, std::string_view reason, std::int64_t attempts,
                              bool fallback_is_nack) {
  sdk::Job& job = *owned;
  Counters* const mine = pipeline_counters(job);
  if (results_ != nullptr) results_->record(job, false, {}, reason, attempts);
  if (rules_ != nullptr) {
    log_->warn("job {} (pipeline {}) gave up after {} attempt(s): {}; dead-lettering it", job.id(),
               job.pipeline(), attempts, reason);
    const std::uint64_t token = next_token_++;
    burying_.emplace(token, std::move(owned));
    rules_->bury(job, reason, attempts,
                 [this, token](const sdk::Status& status) { buried(token, status); });
    return;
  }
  count(mine, &Counters::jobs_dropped);
  log_->error("job {} (pipeline {}) dropped after {} attempt(s), no dead-letter store: {}",
              job.id(), job.pipeline(), attempts, reason);
  auto status = fallback_is_nack ? nack(job, false, std::chrono::seconds{0}) : ack(job);
  if (!status) {
    log_->error("job {} (pipeline {}): driver refused to settle the failed job: {}", job.id(),
                job.pipeline(), status.message());
  }
}

void ResponseHandler::buried(std::uint64_t token, const sdk::Status& status) {
  auto it = burying_.find(token);
  if (it == burying_.end()) return;
  OwnedJob owned = std::move(it->second);
  burying_.erase(it);
  sdk::Job& job = *owned;
  Counters* const mine = pipeline_counters(job);
  if (status) {
    // The dead letter is held: only now may the original go, so a crash in between leaves a
    // redelivery (and a second dead letter under the same id), never a loss.
    count(mine, &Counters::jobs_dead);
    log_->debug("job {} (pipeline {}) dead-lettered", job.id(), job.pipeline());
    if (auto acked = ack(job); !acked) {
      log_->error("job {} (pipeline {}): ack after dead-lettering failed: {}", job.id(),
                  job.pipeline(), acked.message());
    }
    return;
  }
  count(mine, &Counters::jobs_err);
  log_->error("job {} (pipeline {}): {}; handing it back to its driver, delivered again in {}s",
              job.id(), job.pipeline(), status.message(), kBuryRetryDelay.count());
  if (auto back = nack(job, true, kBuryRetryDelay); !back) {
    log_->error("job {} (pipeline {}): the driver refused it back too: {}", job.id(),
                job.pipeline(), back.message());
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
  return guarded_nack(job, true, std::chrono::seconds{0});
}

sdk::Status ResponseHandler::ack(sdk::Job& job) {
  auto status = support::guarded_call(job_context(job), "ack", [&] { return job.ack(); });
  if (status && finished_) finished_(job);
  return status;
}

sdk::Status ResponseHandler::nack(sdk::Job& job, bool requeue, std::chrono::seconds delay) {
  auto status = guarded_nack(job, requeue, delay);
  if (status && !requeue && finished_) finished_(job);
  return status;
}

sdk::Status ResponseHandler::guarded_nack(sdk::Job& job, bool requeue, std::chrono::seconds delay) {
  return support::guarded_call(job_context(job), "nack",
                               [&] { return job.nack_with_options(requeue, delay); });
}

sdk::Status ResponseHandler::requeue(sdk::Job& job, const sdk::Headers& headers,
                                     std::chrono::seconds delay) {
  return support::guarded_call(job_context(job), "requeue",
                               [&] { return job.requeue(headers, delay); });
}

}  // namespace coyote::host::jobs
