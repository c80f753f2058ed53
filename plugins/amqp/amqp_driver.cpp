#include "amqp/amqp_driver.hpp"

namespace coyote::drivers::amqp {

void AmqpDriver::push(sdk::Message message, sdk::Completion done) {
  std::vector<sdk::Message> one;
  one.push_back(std::move(message));
  core_->publish(std::move(one), std::move(done));
}

void AmqpDriver::push_batch(std::vector<sdk::Message> messages, sdk::Completion done) {
  // One command: the I/O thread publishes the whole batch back to back (pipelined), then
  // completes once every confirm is in.
  core_->publish(std::move(messages), std::move(done));
}

const GlobalSettings& AmqpConstructor::global() {
  if (!global_) {
    std::vector<std::string> warnings;
    global_ = std::make_unique<GlobalSettings>(parse_global(config_, warnings));
    for (const auto& w : warnings) log_.warn(w);
    if (!config_.has("amqp")) {
      // RoadRunner refuses to start without the section; its defaults lose nothing.
      log_.info("no amqp section in the configuration: connecting to " + global_->redacted_addr() +
                " (set amqp.addr)");
    }
  }
  return *global_;
}

std::unique_ptr<sdk::Driver> AmqpConstructor::from_config(std::string_view config_key,
                                                          sdk::Queue& queue,
                                                          const sdk::Pipeline& pipeline) {
  (void)global();
  std::vector<std::string> warnings;
  PipelineSettings settings = parse_file_pipeline(config_, config_key, pipeline, warnings);
  for (const auto& w : warnings) log_.warn(w);
  return make(std::move(settings), queue);
}

std::unique_ptr<sdk::Driver> AmqpConstructor::from_pipeline(const sdk::Pipeline& pipeline,
                                                            sdk::Queue& queue) {
  (void)global();
  return make(parse_declared_pipeline(pipeline), queue);
}

std::unique_ptr<sdk::Driver> AmqpConstructor::make(PipelineSettings settings, sdk::Queue& queue) {
  const bool keyless = settings.exchange_type == "fanout" || settings.exchange_type == "headers";
  if (settings.routing_key.empty() && !keyless) {
    log_.warn("amqp pipeline " + settings.name + ": routing_key is empty with a " +
              settings.exchange_type +
              " exchange: pushes are refused unless a job sets the x-routing-key header" +
              (settings.queue.empty() ? "" : ", and the queue is bound with the empty key"));
  }
  if (settings.exchange_type == "fanout") {
    log_.debug("amqp pipeline " + settings.name +
               ": delayed jobs need a direct or topic exchange (RoadRunner's delay queues are "
               "bound to the exchange; a fanout exchange delivers them at once)");
  }
  const auto push_timeout = config_.duration_or("jobs.timeout", std::chrono::seconds{60});
  auto core = std::make_shared<AmqpCore>(queue, log_, global(), std::move(settings), push_timeout);
  core->start();
  return std::make_unique<AmqpDriver>(std::move(core));
}

}  // namespace coyote::drivers::amqp
