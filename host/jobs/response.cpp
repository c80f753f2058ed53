#include "jobs/response.hpp"

#include "support/guarded_call.hpp"

#include <boost/json.hpp>

#include <utility>

namespace coyote::host::jobs {
namespace {

namespace json = boost::json;

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

std::optional<std::int64_t> as_int(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v.get_uint64());
  }
  return std::nullopt;
}

sdk::Status parse_headers(const json::value& v, sdk::Headers& out) {
  if (v.is_null()) return sdk::Status::ok();
  if (!v.is_object()) {
    return sdk::Status::error("\"headers\" must be an object of string arrays");
  }
  for (const auto& [key, values] : v.get_object()) {
    if (!values.is_array() && !values.is_null()) {
      return sdk::Status::error("header \"" + std::string(key) + "\" must be an array of strings");
    }
    std::vector<std::string> list;
    if (values.is_array()) {
      for (const auto& item : values.get_array()) {
        if (!item.is_string()) {
          return sdk::Status::error("header \"" + std::string(key) +
                                    "\" must be an array of strings");
        }
        list.emplace_back(item.get_string());
      }
    }
    out.insert_or_assign(std::string(key), std::move(list));
  }
  return sdk::Status::ok();
}

}  // namespace

sdk::Result<Reply> parse_reply(std::string_view body) {
  // The replies PHP's ack()/complete() send, byte for byte: nearly every reply on a busy host.
  // Recognising them skips building a JSON DOM on the hot path; anything else is parsed fully.
  if (body == R"({"type":2,"data":[]})") return Reply{.type = kAck};
  if (body == R"({"type":0,"data":[]})") return Reply{.type = kNoError};

  boost::system::error_code ec;
  json::value root = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec) {
    return sdk::Status::error("not JSON: " + ec.message());
  }
  if (!root.is_object()) {
    return sdk::Status::error("not a JSON object");
  }
  const auto& obj = root.get_object();
  Reply reply;
  const json::value* type = obj.if_contains("type");
  auto type_value = type != nullptr ? as_int(*type) : std::nullopt;
  if (!type_value || *type_value < 0) {
    return sdk::Status::error("\"type\" must be an unsigned integer");
  }
  reply.type = static_cast<std::uint64_t>(*type_value);
  if (reply.type != kError && reply.type != kNack && reply.type != kRequeue) return reply;

  const json::value* data = obj.if_contains("data");
  if (data == nullptr || (!data->is_object() && !data->is_null())) {
    return sdk::Status::error("\"data\" must be an object for type " + std::to_string(reply.type));
  }
  if (data->is_null()) return reply;
  const auto& d = data->get_object();
  if (const auto* m = d.if_contains("message"); m != nullptr && !m->is_null()) {
    if (!m->is_string()) {
      return sdk::Status::error("\"message\" must be a string");
    }
    reply.message = std::string(m->get_string());
  }
  if (const auto* r = d.if_contains("requeue"); r != nullptr && !r->is_null()) {
    if (!r->is_bool()) {
      return sdk::Status::error("\"requeue\" must be a boolean");
    }
    reply.requeue = r->get_bool();
  }
  if (const auto* s = d.if_contains("delay_seconds"); s != nullptr && !s->is_null()) {
    auto seconds = as_int(*s);
    if (!seconds) {
      return sdk::Status::error("\"delay_seconds\" must be an integer");
    }
    reply.delay = std::chrono::seconds{*seconds < 0 ? 0 : *seconds};
  }
  if (const auto* h = d.if_contains("headers"); h != nullptr) {
    if (auto status = parse_headers(*h, reply.headers); !status) return status;
  }
  return reply;
}

ResponseHandler::ResponseHandler(Counters& counters, std::shared_ptr<spdlog::logger> log,
                                 DeliveryRules* rules)
    : counters_(counters), log_(std::move(log)), rules_(rules) {}

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
  switch (reply.type) {
    case kNoError:
    case kAck: {
      auto status = ack(job);
      if (!status) return ack_after_error(job, "ack", status);
      ++counters_.jobs_ok;
      return;
    }
    case kError: {
      if (reply.requeue) {
        auto status = requeue(job, reply.headers, reply.delay);
        if (!status) return ack_after_error(job, "requeue", status);
        ++counters_.jobs_requeue;
        return;
      }
      ++counters_.jobs_err;
      give_up(job, "failed by the worker: " + reply.message, attempt_of(job.headers()), false);
      return;
    }
    case kNack: {
      log_->debug("job {} nacked (requeue {}): {}", job.id(), reply.requeue, reply.message);
      if (!reply.requeue) {
        ++counters_.jobs_err;
        give_up(job, "nacked by the worker: " + reply.message, attempt_of(job.headers()), true);
        return;
      }
      auto status = nack(job, true, reply.delay);
      if (!status) return ack_after_error(job, "nack", status);
      ++counters_.jobs_requeue;
      return;
    }
    case kRequeue: {
      log_->debug("job {} requeued: {}", job.id(), reply.message);
      auto status = requeue(job, reply.headers, reply.delay);
      if (!status) return ack_after_error(job, "requeue", status);
      ++counters_.jobs_requeue;
      return;
    }
    default: {
      log_->warn("job {}: unknown response type {}, acknowledging the JOB", job.id(), reply.type);
      auto status = ack(job);
      if (!status) return ack_after_error(job, "ack", status);
      ++counters_.jobs_ok;
      return;
    }
  }
}

void ResponseHandler::settle_failed(sdk::Job& job, Failure failure, std::string_view why) {
  ++counters_.jobs_err;
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
      ++counters_.jobs_retried;
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
  if (rules_ != nullptr && rules_->bury(job, reason, attempts)) {
    ++counters_.jobs_dead;
    log_->warn("job {} (pipeline {}) dead-lettered after {} attempt(s): {}", job.id(),
               job.pipeline(), attempts, reason);
    auto status = ack(job);
    if (!status) {
      log_->error("job {} (pipeline {}): ack after dead-lettering failed: {}", job.id(),
                  job.pipeline(), status.message());
    }
    return;
  }
  ++counters_.jobs_dropped;
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
  ++counters_.jobs_err;
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
