// NatsJob: one delivered JetStream message in the host's queue; its answer goes back through the
// pipeline's NatsCore (never a network call on the host's loop).
#pragma once

#include "nats/nats_core.hpp"

#include <coyote/sdk/job.hpp>

#include <memory>

namespace coyote::drivers::nats {

/// Context JSON as RoadRunner's nats driver writes it: id, job, driver ("nats"), headers,
/// pipeline, queue (the stream name).
class NatsJob final : public sdk::Job {
 public:
  NatsJob(std::shared_ptr<NatsCore> core, sdk::Message message, Delivery delivery);
  ~NatsJob() override;
  NatsJob(const NatsJob&) = delete;
  NatsJob& operator=(const NatsJob&) = delete;
  NatsJob(NatsJob&&) = delete;
  NatsJob& operator=(NatsJob&&) = delete;

  [[nodiscard]] std::string_view driver_name() const override { return "nats"; }
  void write_context(std::string& out) const override;

  /// +ACK (and a delete with delete_after_ack).
  sdk::Status ack() override;
  /// +TERM: JetStream never redelivers it.
  sdk::Status nack() override;
  /// requeue → a new copy after `delay` (then +ACK of this one); otherwise +TERM.
  sdk::Status nack_with_options(bool requeue, std::chrono::seconds delay) override;
  /// A new copy with `headers` merged, due after `delay`; this message is acked once the copy
  /// is stored (or NAKed for redelivery if it cannot be).
  sdk::Status requeue(const sdk::Headers& headers, std::chrono::seconds delay) override;

  [[nodiscard]] const Delivery& delivery() const noexcept { return delivery_; }

 private:
  std::shared_ptr<NatsCore> core_;
  Delivery delivery_;
  bool settled_ = false;
};

}  // namespace coyote::drivers::nats
