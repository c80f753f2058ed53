#include "jobs/dead_letter_office.hpp"

#include <fmt/format.h>

#include <chrono>
#include <utility>

namespace coyote::host::jobs {

DeadLetterOffice::DeadLetterOffice(const Pipelines& pipelines, Push push,
                                   std::shared_ptr<spdlog::logger> log)
    : pipelines_(pipelines), push_(std::move(push)), log_(std::move(log)) {}

const RetryPolicy& DeadLetterOffice::retry_policy(std::string_view pipeline) const {
  return pipelines_.rule(pipeline).policy;
}

bool DeadLetterOffice::bury(const sdk::Job& job, std::string_view reason, std::int64_t attempts) {
  const std::string& target = pipelines_.rule(job.pipeline()).dead_letter;
  if (target.empty()) return false;
  DeadJob dead;
  dead.message = job.message();
  dead.origin = job.pipeline();
  dead.attempts = attempts;
  dead.last_error = std::string(reason);
  dead.dead_at = std::chrono::system_clock::now();
  auto& h = dead.message.headers;
  h.insert_or_assign(std::string(kDeadReasonHeader), std::vector<std::string>{dead.last_error});
  h.insert_or_assign(std::string(kOriginHeader), std::vector<std::string>{dead.origin});
  h.insert_or_assign(std::string(kAttemptsHeader),
                     std::vector<std::string>{std::to_string(attempts)});
  h.insert_or_assign(
      std::string(kDeadAtHeader),
      std::vector<std::string>{fmt::format(
          "{}", std::chrono::duration_cast<std::chrono::seconds>(dead.dead_at.time_since_epoch())
                    .count())});
  if (pipelines_.find(target) != nullptr && target != job.pipeline()) {
    // An ordinary pipeline as dead letter: its driver keeps the job and its workers may consume
    // it, with fresh attempts there. The dead job is held by this host until the pipeline's
    // driver confirms it; if that driver refuses, the host store of that name keeps it.
    sdk::Message copy = dead.message;
    if (auto a = copy.headers.find(kAttemptHeader); a != copy.headers.end()) copy.headers.erase(a);
    copy.options.pipeline = target;
    copy.options.delay_seconds = 0;
    copy.options.priority = 0;
    auto held = std::make_shared<DeadJob>(std::move(dead));
    push_(std::move(copy), [this, held, target](const sdk::Status& status) {
      if (status) return;
      log_->error(
          "job {}: dead-letter pipeline {} refused it ({}); keeping it in the dead-letter "
          "store {}",
          held->message.id, target, status.message(), target);
      keep(target, std::move(*held));
    });
    return true;
  }
  keep(target, std::move(dead));
  return true;
}

void DeadLetterOffice::keep(const std::string& store, DeadJob dead) {
  auto evicted = store_.add(store, std::move(dead));
  if (evicted) {
    log_->error(
        "dead-letter store {} is full: evicted the oldest dead job {} (origin {}, last "
        "error: {})",
        store, evicted->message.id, evicted->origin, evicted->last_error);
  }
}

void DeadLetterOffice::dead_replay(std::string_view store, std::string_view id, Done done) {
  auto dead = store_.take(store, id);
  if (!dead) {
    done(sdk::Status::error(
        fmt::format(R"(no dead job "{}" in dead-letter store "{}")", id, store)));
    return;
  }
  sdk::Message message = dead->message;
  clear_delivery_headers(message);
  message.options.pipeline = dead->origin;
  message.options.delay_seconds = 0;
  auto held = std::make_shared<DeadJob>(std::move(*dead));
  push_(std::move(message), [this, held, store = std::string(store), id = std::string(id),
                             done = std::move(done)](sdk::Status status) {
    if (!status) {
      auto error = sdk::Status::error(fmt::format("replay of {} into pipeline {} failed: {}", id,
                                                  held->origin, status.message()));
      (void)store_.add(store, std::move(*held));
      done(std::move(error));
      return;
    }
    log_->info("dead job {} replayed into pipeline {}", id, held->origin);
    done(std::move(status));
  });
}

void DeadLetterOffice::dead_delete(std::string_view store, std::string_view id, Done done) {
  auto dead = store_.take(store, id);
  if (!dead) {
    done(sdk::Status::error(
        fmt::format(R"(no dead job "{}" in dead-letter store "{}")", id, store)));
    return;
  }
  log_->info("dead job {} (origin {}) deleted from {}", id, dead->origin, store);
  done(sdk::Status::ok());
}

}  // namespace coyote::host::jobs
