#include "beanstalk/beanstalk_job.hpp"

#include <coyote/sdk/json_text.hpp>

#include <utility>

namespace coyote::drivers::beanstalk {

BeanstalkJob::BeanstalkJob(std::shared_ptr<TubeCore> core, sdk::Message message,
                           std::uint64_t ticket)
    : sdk::Job(std::move(message)), core_(std::move(core)), ticket_(ticket) {}

BeanstalkJob::~BeanstalkJob() {
  // Destroyed without an answer (the host removed it from its queue): give it back now rather
  // than when its TTR runs out.
  if (!settled_) (void)core_->settle(ticket_, Settle::kForget, std::chrono::seconds{0}, {});
}

void BeanstalkJob::write_context(std::string& out) const {
  out += "{\"id\":";
  sdk::json_text::append_string(out, message_.id);
  out += ",\"job\":";
  sdk::json_text::append_string(out, message_.name);
  out += R"(,"driver":"beanstalk","headers":)";
  sdk::json_text::append_headers(out, message_.headers);
  out += ",\"queue\":";
  sdk::json_text::append_string(out, core_->tube());
  out += ",\"pipeline\":";
  sdk::json_text::append_string(out, message_.options.pipeline);
  out.push_back('}');
}

sdk::Status BeanstalkJob::ack() {
  settled_ = true;
  return core_->settle(ticket_, Settle::kDelete, std::chrono::seconds{0}, {});
}

sdk::Status BeanstalkJob::nack() {
  settled_ = true;
  return core_->settle(ticket_, Settle::kDelete, std::chrono::seconds{0}, {});
}

sdk::Status BeanstalkJob::nack_with_options(bool requeue, std::chrono::seconds delay) {
  settled_ = true;
  if (!requeue) return core_->settle(ticket_, Settle::kDelete, std::chrono::seconds{0}, {});
  return core_->settle(ticket_, Settle::kRelease, delay, std::move(message_));
}

sdk::Status BeanstalkJob::requeue(const sdk::Headers& headers, std::chrono::seconds delay) {
  settled_ = true;
  sdk::merge_headers(message_.headers, headers);
  return core_->requeue(ticket_, std::move(message_), delay);
}

}  // namespace coyote::drivers::beanstalk
