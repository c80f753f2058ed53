#include "redis/redis_job.hpp"

#include "redis/stream_pipeline.hpp"

#include <utility>

namespace coyote::drivers::redis {

RedisJob::RedisJob(std::shared_ptr<StreamPipeline> pipeline, sdk::Message message,
                   std::string entry_id, bool auto_acked)
    : sdk::Job(std::move(message)),
      pipeline_(std::move(pipeline)),
      entry_id_(std::move(entry_id)),
      auto_acked_(auto_acked) {}

RedisJob::~RedisJob() {
  if (settled_ || !pipeline_) return;
  pipeline_->settle(Settlement{Settlement::Kind::kGiveBack, std::move(entry_id_), auto_acked_,
                               std::move(message_), std::chrono::milliseconds(0)});
}

sdk::Status RedisJob::ack() {
  settled_ = true;
  pipeline_->settle(
      Settlement{Settlement::Kind::kAck, entry_id_, auto_acked_, {}, std::chrono::milliseconds(0)});
  return sdk::Status::ok();
}

sdk::Status RedisJob::nack() { return ack(); }

sdk::Status RedisJob::nack_with_options(bool requeue, std::chrono::seconds delay) {
  if (!requeue) return ack();
  settled_ = true;
  pipeline_->settle(Settlement{Settlement::Kind::kRequeue, entry_id_, auto_acked_,
                               std::move(message_),
                               std::chrono::duration_cast<std::chrono::milliseconds>(delay)});
  return sdk::Status::ok();
}

sdk::Status RedisJob::requeue(const sdk::Headers& headers, std::chrono::seconds delay) {
  settled_ = true;
  sdk::merge_headers(message_.headers, headers);
  pipeline_->settle(Settlement{Settlement::Kind::kRequeue, entry_id_, auto_acked_,
                               std::move(message_),
                               std::chrono::duration_cast<std::chrono::milliseconds>(delay)});
  return sdk::Status::ok();
}

sdk::Message RedisJob::take_back() {
  settled_ = true;
  return std::move(message_);
}

}  // namespace coyote::drivers::redis
