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
  namespace json = sdk::json_text;
  using namespace std::string_view_literals;
  json::append(out, R"({"id":)"sv, json::quoted(message_.id), R"(,"job":)"sv,
               json::quoted(message_.name), R"(,"driver":"beanstalk","headers":)"sv,
               json::headers_object(message_.headers), R"(,"queue":)"sv,
               json::quoted(core_->tube()), R"(,"pipeline":)"sv,
               json::quoted(message_.options.pipeline), "}"sv);
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
