// The writer operations of a job store: push (insert), and the acknowledgements.
#pragma once

#include "sqlite/pipeline_core.hpp"
#include "sqlite/store/group_commit_writer.hpp"

#include <coyote/sdk/completion.hpp>
#include <coyote/sdk/message.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace coyote::drivers::sqlite {

/// A push or a PushBatch: all its jobs commit in one transaction, or none does. The producer's
/// completion is called only after the commit (ok) or the rollback (the fault's text).
class InsertOp final : public coyote::sqlite::Operation {
 public:
  InsertOp(PipelineCore& core, std::vector<sdk::Message> messages, std::vector<std::int64_t> due,
           sdk::Completion done)
      : core_(core), messages_(std::move(messages)), due_(std::move(due)), done_(std::move(done)) {}
  void apply(coyote::sqlite::Database& db) override;
  void committed() override;
  bool failed(const coyote::sqlite::StoreError& error) override;

 private:
  PipelineCore& core_;
  std::vector<sdk::Message> messages_;
  std::vector<std::int64_t> due_;
  sdk::Completion done_;
};

/// ack / nack: the row is deleted. Kept and retried while the store faults.
class RemoveOp final : public coyote::sqlite::Operation {
 public:
  RemoveOp(PipelineCore& core, std::int64_t seq, std::uint64_t generation)
      : core_(core), seq_(seq), generation_(generation) {}
  void apply(coyote::sqlite::Database& db) override;
  void committed() override {}
  bool failed(const coyote::sqlite::StoreError& /*error*/) override { return true; }
  [[nodiscard]] bool urgent() const noexcept override { return false; }

 private:
  PipelineCore& core_;
  std::int64_t seq_;
  std::uint64_t generation_;
};

/// nack with requeue, a job given back unacknowledged: ready again (or delayed) at its place.
class PutBackOp final : public coyote::sqlite::Operation {
 public:
  PutBackOp(PipelineCore& core, std::int64_t seq, std::uint64_t generation, std::int64_t due_ms)
      : core_(core), seq_(seq), generation_(generation), due_ms_(due_ms) {}
  void apply(coyote::sqlite::Database& db) override;
  void committed() override {}
  bool failed(const coyote::sqlite::StoreError& /*error*/) override { return true; }
  [[nodiscard]] bool urgent() const noexcept override { return false; }

 private:
  PipelineCore& core_;
  std::int64_t seq_;
  std::uint64_t generation_;
  std::int64_t due_ms_;
};

/// requeue (a retry, a worker's REQUEUE): headers, attempt and due time in one update, the row
/// moved to the end of the queue.
class RequeueOp final : public coyote::sqlite::Operation {
 public:
  RequeueOp(PipelineCore& core, std::int64_t seq, std::uint64_t generation, std::string headers,
            std::int64_t attempt, std::int64_t due_ms)
      : core_(core),
        seq_(seq),
        generation_(generation),
        headers_(std::move(headers)),
        attempt_(attempt),
        due_ms_(due_ms) {}
  void apply(coyote::sqlite::Database& db) override;
  void committed() override {}
  bool failed(const coyote::sqlite::StoreError& /*error*/) override { return true; }
  [[nodiscard]] bool urgent() const noexcept override { return false; }

 private:
  PipelineCore& core_;
  std::int64_t seq_;
  std::uint64_t generation_;
  std::string headers_;
  std::int64_t attempt_;
  std::int64_t due_ms_;
};

/// The delivery number in `headers` (kAttemptHeader; absent or unreadable = 1), removed from
/// them: the store keeps it in its own column.
std::int64_t take_attempt(sdk::Headers& headers);
/// Puts it back for a worker (only when above 1, as the host writes it).
void give_attempt(sdk::Headers& headers, std::int64_t attempt);

}  // namespace coyote::drivers::sqlite
