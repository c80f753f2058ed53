#include "nats/nats_driver.hpp"

#include <string>

namespace coyote::drivers::nats {

void NatsDriver::push(sdk::Message message, sdk::Completion done) {
  std::vector<sdk::Message> one;
  one.push_back(std::move(message));
  core_->push(std::move(one), std::move(done));
}

void NatsDriver::push_batch(std::vector<sdk::Message> messages, sdk::Completion done) {
  core_->push(std::move(messages), std::move(done));
}

std::unique_ptr<sdk::Driver> NatsConstructor::from_config(std::string_view config_key,
                                                          sdk::Queue& queue,
                                                          const sdk::Pipeline& pipeline) {
  NatsOptions options = options_from_config(config_, config_key, pipeline);
  for (const auto& key : options.unknown_keys) {
    log_.warn("nats pipeline " + pipeline.name() + ": unknown key " + std::string(config_key) +
              "." + key +
              " (nats keys: subject, stream, consumer, prefetch, priority, "
              "deliver_new, rate_limit, ack_wait, delete_after_ack, delete_stream_on_stop)");
  }
  return make(std::move(options), queue);
}

std::unique_ptr<sdk::Driver> NatsConstructor::from_pipeline(const sdk::Pipeline& pipeline,
                                                            sdk::Queue& queue) {
  return make(options_from_pipeline(config_, pipeline), queue);
}

std::unique_ptr<sdk::Driver> NatsConstructor::make(NatsOptions options, sdk::Queue& queue) {
  if (!config_.has("nats") && !warned_no_global_) {
    // RoadRunner refuses to start without the section; every key in it has a default.
    warned_no_global_ = true;
    log_.warn("no global nats section (nats.addr); using " + options.address);
  }
  if (options.rate_limit != kDefaultRateLimit && log_.enabled(sdk::LogLevel::kDebug)) {
    log_.debug("nats pipeline " + options.pipeline +
               ": rate_limit is accepted and not applied (as in RoadRunner)");
  }
  log_.info("nats pipeline " + options.pipeline + ": " + options.address + ", stream " +
            options.stream + ", subject " + options.subject + ", durable consumer " +
            options.consumer + ", prefetch " + std::to_string(options.prefetch) + ", ack_wait " +
            std::to_string(options.ack_wait.count()) + "ms");
  auto core = std::make_shared<NatsCore>(std::move(options), queue, log_);
  core->start(core);
  return std::make_unique<NatsDriver>(std::move(core));
}

}  // namespace coyote::drivers::nats
