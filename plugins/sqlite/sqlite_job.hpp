// SqliteJob: a reserved row handed to the host; its acknowledgement is queued to the writer.
#pragma once

#include "sqlite/pipeline_core.hpp"

#include <coyote/sdk/job.hpp>

#include <cstdint>
#include <memory>
#include <string_view>

namespace coyote::drivers::sqlite {

/// Every acknowledgement only queues an operation (never blocks the host's loop) and returns
/// ok ("accepted"); the row changes in the writer's next commit. A job destroyed without one
/// (the host removed it from its queue: Destroy, stop) goes back to ready at its old place.
class SqliteJob final : public sdk::Job {
 public:
  SqliteJob(std::shared_ptr<PipelineCore> core, std::int64_t seq, std::uint64_t generation,
            std::string_view driver, sdk::Message message)
      : sdk::Job(std::move(message)),
        core_(std::move(core)),
        seq_(seq),
        generation_(generation),
        driver_(driver) {}
  ~SqliteJob() override;
  SqliteJob(const SqliteJob&) = delete;
  SqliteJob& operator=(const SqliteJob&) = delete;

  [[nodiscard]] std::string_view driver_name() const override { return driver_; }
  /// boltdb: RoadRunner's keys in its order, with "queue":"push" (spec 1.4).
  void write_context(std::string& out) const override;
  sdk::Status ack() override;
  /// Deleted, as the SDK defines nack (RoadRunner's boltdb redelivers instead; see the docs).
  sdk::Status nack() override;
  /// requeue: back at its place in FIFO order after `delay`.
  sdk::Status nack_with_options(bool requeue, std::chrono::seconds delay) override;
  /// To the end of the queue after `delay`, headers merged and rewritten in the same update.
  sdk::Status requeue(const sdk::Headers& headers, std::chrono::seconds delay) override;

  [[nodiscard]] std::int64_t seq() const noexcept { return seq_; }

 private:
  std::shared_ptr<PipelineCore> core_;
  std::int64_t seq_;
  std::uint64_t generation_;
  std::string_view driver_;
  bool settled_ = false;
};

}  // namespace coyote::drivers::sqlite
