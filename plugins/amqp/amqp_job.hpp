// AmqpJob: one broker delivery in the host queue; its acknowledgement goes to the I/O thread.
#pragma once

#include "amqp/amqp_core.hpp"

#include <coyote/sdk/job.hpp>

#include <memory>
#include <string>

namespace coyote::drivers::amqp {

/// What the host's answer does (spec roadrunner-drivers.md 1.1, "Semantics"):
///   ack                          basic.ack (multiple when multiple_ack)
///   nack                         basic.nack, requeue = requeue_on_fail
///   nack_with_options(false, _)  basic.nack without requeue (dropped, or to the queue's DLX)
///   nack_with_options(true, d)   a new copy (delay queue when d > 0), then ack the original
///   requeue(headers, d)          headers merged, a new copy, then ack the original
/// RoadRunner redelivers nack_with_options(true, 0) natively (basic.nack requeue); Coyote
/// republishes instead, so that a delivery flagged `redelivered` by the broker always means
/// "the host never answered" and can be counted as an attempt (X-Coyote-Attempt).
///
/// auto_ack jobs are acked when the host is done with them (any answer), not on receipt as in
/// RoadRunner: the worker's answer still has no effect on the broker copy, but prefetch keeps
/// bounding the host's memory, and a host crash redelivers the job instead of losing it.
class AmqpJob final : public sdk::Job {
 public:
  AmqpJob(std::shared_ptr<AmqpCore> core, sdk::Message message, std::uint64_t epoch,
          std::uint64_t tag, std::string rr_pipeline, bool delayed);
  ~AmqpJob() override;
  AmqpJob(const AmqpJob&) = delete;
  AmqpJob& operator=(const AmqpJob&) = delete;
  AmqpJob(AmqpJob&&) = delete;
  AmqpJob& operator=(AmqpJob&&) = delete;

  [[nodiscard]] std::string_view driver_name() const override { return "amqp"; }
  /// RoadRunner's amqp context: id, job, driver, queue, headers, pipeline, in that order; the
  /// pipeline is the message's rr_pipeline when it has one (as RoadRunner reports it).
  void write_context(std::string& out) const override;

  sdk::Status ack() override;
  sdk::Status nack() override;
  sdk::Status nack_with_options(bool requeue, std::chrono::seconds delay) override;
  sdk::Status requeue(const sdk::Headers& headers, std::chrono::seconds delay) override;

  [[nodiscard]] std::uint64_t epoch() const noexcept { return epoch_; }
  [[nodiscard]] std::uint64_t tag() const noexcept { return tag_; }

 private:
  sdk::Status republish(std::chrono::seconds delay);

  std::shared_ptr<AmqpCore> core_;
  std::uint64_t epoch_;
  std::uint64_t tag_;
  std::string rr_pipeline_;
  bool delayed_;
  bool settled_ = false;
};

}  // namespace coyote::drivers::amqp
