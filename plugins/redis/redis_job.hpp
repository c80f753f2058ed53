// RedisJob: a stream entry delivered to the host; its acknowledgement goes back to its pipeline.
#pragma once

#include <coyote/sdk/job.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace coyote::drivers::redis {

class StreamPipeline;

/// Context = the SDK default with driver "redis". Every acknowledgement is queued to the
/// pipeline (the Redis round trip happens on the driver's thread) and returns "accepted".
class RedisJob final : public sdk::Job {
 public:
  RedisJob(std::shared_ptr<StreamPipeline> pipeline, sdk::Message message, std::string entry_id,
           bool auto_acked);
  /// Destroyed without an acknowledgement (the host removed it from its queue at stop or
  /// destroy): the job goes back to the stream for any host to take.
  ~RedisJob() override;
  RedisJob(const RedisJob&) = delete;
  RedisJob& operator=(const RedisJob&) = delete;
  RedisJob(RedisJob&&) = delete;
  RedisJob& operator=(RedisJob&&) = delete;

  [[nodiscard]] std::string_view driver_name() const override { return "redis"; }
  /// XACK (+ XDEL when delete_on_ack).
  sdk::Status ack() override;
  /// Like ack: the host has already decided where a failed job goes (retry, dead letter).
  sdk::Status nack() override;
  sdk::Status nack_with_options(bool requeue, std::chrono::seconds delay) override;
  /// A new entry (or a delayed-set member) with the merged headers, and the old one settled,
  /// in one script.
  sdk::Status requeue(const sdk::Headers& headers, std::chrono::seconds delay) override;

  [[nodiscard]] const std::string& entry_id() const noexcept { return entry_id_; }
  /// The host queue refused the job: takes the message back; the destructor then does nothing.
  sdk::Message take_back();

 private:
  std::shared_ptr<StreamPipeline> pipeline_;
  std::string entry_id_;
  bool auto_acked_;
  bool settled_ = false;
};

}  // namespace coyote::drivers::redis
