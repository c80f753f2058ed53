#include "nats/nats_job.hpp"

#include <coyote/sdk/json_text.hpp>

#include <utility>

namespace coyote::drivers::nats {

NatsJob::NatsJob(std::shared_ptr<NatsCore> core, sdk::Message message, Delivery delivery)
    : sdk::Job(std::move(message)), core_(std::move(core)), delivery_(std::move(delivery)) {}

NatsJob::~NatsJob() {
  // The host dropped the job unanswered (its pipeline stopped or was destroyed): hand it to
  // another consumer now instead of after ack_wait.
  if (!settled_) core_->give_back(delivery_, std::move(message_));
}

void NatsJob::write_context(std::string& out) const {
  namespace json = sdk::json_text;
  using namespace std::string_view_literals;
  json::append(out, R"({"id":)"sv, json::quoted(message_.id), R"(,"job":)"sv,
               json::quoted(message_.name), R"(,"driver":"nats","headers":)"sv,
               json::headers_object(message_.headers), R"(,"pipeline":)"sv,
               json::quoted(message_.options.pipeline), R"(,"queue":)"sv,
               json::quoted(core_->options().stream), "}"sv);
}

sdk::Status NatsJob::ack() {
  settled_ = true;
  return core_->ack(delivery_);
}

sdk::Status NatsJob::nack() {
  settled_ = true;
  return core_->term(delivery_);
}

sdk::Status NatsJob::nack_with_options(bool requeue, std::chrono::seconds delay) {
  if (!requeue) return nack();
  return this->requeue({}, delay);
}

sdk::Status NatsJob::requeue(const sdk::Headers& headers, std::chrono::seconds delay) {
  settled_ = true;
  sdk::Message copy = std::move(message_);
  sdk::merge_headers(copy.headers, headers);
  copy.options.delay_seconds = delay.count() > 0 ? delay.count() : 0;
  return core_->requeue(delivery_, std::move(copy));
}

}  // namespace coyote::drivers::nats
