#include "amqp/amqp_job.hpp"

#include <coyote/sdk/json_text.hpp>

#include <utility>

namespace coyote::drivers::amqp {

AmqpJob::AmqpJob(std::shared_ptr<AmqpCore> core, sdk::Message message, std::uint64_t epoch,
                 std::uint64_t tag, std::string rr_pipeline, bool delayed)
    : sdk::Job(std::move(message)),
      core_(std::move(core)),
      epoch_(epoch),
      tag_(tag),
      rr_pipeline_(std::move(rr_pipeline)),
      delayed_(delayed) {}

AmqpJob::~AmqpJob() {
  if (!settled_) core_->release(epoch_, tag_);
}

void AmqpJob::write_context(std::string& out) const {
  namespace json = sdk::json_text;
  using namespace std::string_view_literals;
  json::append(
      out, R"({"id":)"sv, json::quoted(message_.id), R"(,"job":)"sv, json::quoted(message_.name),
      R"(,"driver":"amqp","queue":)"sv, json::quoted(core_->settings().queue), R"(,"headers":)"sv,
      json::headers_object(message_.headers), R"(,"pipeline":)"sv,
      json::quoted(rr_pipeline_.empty() ? message_.options.pipeline : rr_pipeline_), "}"sv);
}

sdk::Status AmqpJob::ack() {
  settled_ = true;
  return core_->settle_ack(epoch_, tag_, delayed_);
}

sdk::Status AmqpJob::nack() {
  settled_ = true;
  if (message_.options.auto_ack) return core_->settle_ack(epoch_, tag_, delayed_);
  return core_->settle_nack(epoch_, tag_, core_->settings().requeue_on_fail, delayed_);
}

sdk::Status AmqpJob::nack_with_options(bool requeue, std::chrono::seconds delay) {
  settled_ = true;
  if (requeue) return republish(delay);
  if (message_.options.auto_ack) return core_->settle_ack(epoch_, tag_, delayed_);
  return core_->settle_nack(epoch_, tag_, false, delayed_);
}

sdk::Status AmqpJob::requeue(const sdk::Headers& headers, std::chrono::seconds delay) {
  settled_ = true;
  sdk::merge_headers(message_.headers, headers);
  return republish(delay);
}

sdk::Status AmqpJob::republish(std::chrono::seconds delay) {
  // The host destroys the job after this call (and names the id before it): the message moves.
  message_.options.delay_seconds = delay.count();
  return core_->settle_republish(epoch_, tag_, std::move(message_), rr_pipeline_, delayed_);
}

}  // namespace coyote::drivers::amqp
