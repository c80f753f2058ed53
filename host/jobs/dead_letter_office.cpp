#include "jobs/dead_letter_office.hpp"

#include <fmt/format.h>

#include <chrono>
#include <utility>

namespace coyote::host::jobs {

DeadLetterOffice::DeadLetterOffice(const Pipelines& pipelines, Push push,
                                   std::shared_ptr<spdlog::logger> log,
                                   const DeadLetterSettings& settings, boost::asio::io_context& io)
    : pipelines_(pipelines),
      push_(std::move(push)),
      log_(std::move(log)),
      max_age_(settings.max_age),
      store_(settings.max_jobs) {
  store_.declare(std::string(kDefaultDeadLetterStore));
  if (settings.file.empty()) return;
  std::vector<StoredDeadJob> loaded;
  file_ = std::make_unique<DeadLetterFile>(io, settings.file, settings.process_durability, log_,
                                           loaded);
  const std::size_t count = loaded.size();
  for (auto& row : loaded) remember(row.store, std::move(row.job));
  log_->info("dead-letter file {}: {} dead job(s) loaded", settings.file, count);
}

const RetryPolicy& DeadLetterOffice::retry_policy(std::string_view pipeline) const {
  return pipelines_.rule(pipeline).policy;
}

void DeadLetterOffice::bury(const sdk::Job& job, std::string_view reason, std::int64_t attempts,
                            Held held) {
  const std::string& named = pipelines_.rule(job.pipeline()).dead_letter;
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
  if (named.empty()) {
    // Nothing is dropped on the default config: the default store is never a pipeline's name
    // lookup, so a pipeline called like it does not receive other pipelines' dead jobs.
    keep(std::string(kDefaultDeadLetterStore), std::move(dead), std::move(held));
    return;
  }
  const std::string target = named;
  if (pipelines_.find(target) != nullptr && target != job.pipeline()) {
    // An ordinary pipeline as dead letter: its driver keeps the job and its workers may consume
    // it, with fresh attempts there. The original is acknowledged only once that driver holds
    // the copy; if it refuses, the host store of that name keeps it.
    sdk::Message copy = dead.message;
    if (auto a = copy.headers.find(kAttemptHeader); a != copy.headers.end()) copy.headers.erase(a);
    copy.options.pipeline = target;
    copy.options.delay_seconds = 0;
    copy.options.priority = 0;
    auto kept = std::make_shared<DeadJob>(std::move(dead));
    auto then = std::make_shared<Held>(std::move(held));
    push_(std::move(copy), [this, kept, then, target](const sdk::Status& status) {
      if (status) {
        (*then)(sdk::Status::ok());
        return;
      }
      log_->error(
          "job {}: dead-letter pipeline {} refused it ({}); keeping it in the dead-letter "
          "store {}",
          kept->message.id, target, status.message(), target);
      keep(target, std::move(*kept), std::move(*then));
    });
    return;
  }
  keep(target, std::move(dead), std::move(held));
}

void DeadLetterOffice::keep(const std::string& store, DeadJob dead, Held held) {
  if (!file_) {
    remember(store, std::move(dead));
    held(sdk::Status::ok());
    return;
  }
  // Listed only once durable, so that a listed dead job is one that survives a crash.
  auto kept = std::make_shared<DeadJob>(std::move(dead));
  file_->put(store, *kept, [this, store, kept, held = std::move(held)](const sdk::Status& status) {
    if (!status) {
      held(sdk::Status::error(fmt::format("dead-letter store {} could not keep job {}: {}", store,
                                          kept->message.id, status.message())));
      return;
    }
    remember(store, std::move(*kept));
    held(sdk::Status::ok());
  });
}

void DeadLetterOffice::remember(const std::string& store, DeadJob dead) {
  if (auto evicted = store_.add(store, std::move(dead))) {
    forget(store, *evicted, fmt::format("dead-letter store {} is full", store));
  }
  if (max_age_.count() == 0) return;
  for (auto& [name, old] : store_.expire(std::chrono::system_clock::now() - max_age_)) {
    forget(name, old,
           fmt::format("dead-letter store {}: older than jobs.dead_letter.max_age ({}h)", name,
                       std::chrono::duration_cast<std::chrono::hours>(max_age_).count()));
  }
}

void DeadLetterOffice::forget(const std::string& store, const DeadJob& dead, std::string_view why) {
  log_->error("{}: evicted dead job {} (origin {}, last error: {})", why, dead.message.id,
              dead.origin, dead.last_error);
  if (!file_) return;
  file_->remove(store, dead.message.id,
                [this, store, id = dead.message.id](const sdk::Status& status) {
                  if (status) return;
                  log_->error(
                      "dead-letter store {}: evicted job {} stays in {} ({}); it is "
                      "listed again after a restart",
                      store, id, file_->path(), status.message());
                });
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
  auto kept = std::make_shared<DeadJob>(std::move(*dead));
  push_(std::move(message), [this, kept, store = std::string(store), id = std::string(id),
                             done = std::move(done)](sdk::Status status) mutable {
    if (!status) {
      auto error = sdk::Status::error(fmt::format("replay of {} into pipeline {} failed: {}", id,
                                                  kept->origin, status.message()));
      (void)store_.add(store, std::move(*kept));
      done(std::move(error));
      return;
    }
    log_->info("dead job {} replayed into pipeline {}", id, kept->origin);
    if (!file_) {
      done(std::move(status));
      return;
    }
    // The origin holds the job now: a row left behind would only be listed (and replayable)
    // again after a restart, so a failure to remove it is logged, not returned.
    file_->remove(store, id, [this, store, id, done = std::move(done)](const sdk::Status& removed) {
      if (!removed) {
        log_->error(
            "dead job {} was replayed but stays in {} ({}); it is listed "
            "again after a restart: delete it then",
            id, file_->path(), removed.message());
      }
      done(sdk::Status::ok());
    });
  });
}

void DeadLetterOffice::dead_delete(std::string_view store, std::string_view id, Done done) {
  auto dead = store_.take(store, id);
  if (!dead) {
    done(sdk::Status::error(
        fmt::format(R"(no dead job "{}" in dead-letter store "{}")", id, store)));
    return;
  }
  if (!file_) {
    log_->info("dead job {} (origin {}) deleted from {}", id, dead->origin, store);
    done(sdk::Status::ok());
    return;
  }
  auto kept = std::make_shared<DeadJob>(std::move(*dead));
  file_->remove(
      std::string(store), std::string(id),
      [this, kept, store = std::string(store), done = std::move(done)](const sdk::Status& status) {
        if (!status) {
          (void)store_.add(store, std::move(*kept));
          done(sdk::Status::error(fmt::format("delete of {} from {} failed: {}", kept->message.id,
                                              store, status.message())));
          return;
        }
        log_->info("dead job {} (origin {}) deleted from {}", kept->message.id, kept->origin,
                   store);
        done(sdk::Status::ok());
      });
}

}  // namespace coyote::host::jobs
