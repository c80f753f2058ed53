#include "beanstalk/beanstalk_driver.hpp"

#include <string>

namespace coyote::drivers::beanstalk {

std::unique_ptr<sdk::Driver> BeanstalkConstructor::from_config(std::string_view config_key,
                                                               sdk::Queue& queue,
                                                               const sdk::Pipeline& pipeline) {
  return make(pipeline, queue, read_tube(config_, config_key, pipeline));
}

std::unique_ptr<sdk::Driver> BeanstalkConstructor::from_pipeline(const sdk::Pipeline& pipeline,
                                                                 sdk::Queue& queue) {
  // PHP's BeanstalkCreateInfo also sends consume_all, which RoadRunner ignores too.
  return make(pipeline, queue, read_declared(pipeline));
}

std::unique_ptr<sdk::Driver> BeanstalkConstructor::make(const sdk::Pipeline& pipeline,
                                                        sdk::Queue& queue, TubeOptions options) {
  TubeCore::Settings settings;
  settings.pipeline = pipeline.name();
  settings.pipeline_priority = pipeline.priority();
  // RoadRunner refuses to start without a `beanstalk:` section; its defaults serve as well.
  settings.global = read_global(config_);
  settings.tube = std::move(options);
  if (log_.enabled(sdk::LogLevel::kDebug)) {
    log_.debug("beanstalk pipeline " + settings.pipeline + ": " + settings.global.address.text +
               ", tube " + settings.tube.tube + ", tube_priority " +
               std::to_string(settings.tube.tube_priority) + ", reserve_timeout " +
               std::to_string(settings.tube.reserve_timeout_s) + "s, prefetch " +
               std::to_string(settings.tube.prefetch) + ", ttr " +
               std::to_string(settings.global.ttr_seconds()) + "s");
  }
  auto core = std::make_shared<TubeCore>(queue, log_, std::move(settings));
  core->start();
  return std::make_unique<BeanstalkDriver>(std::move(core));
}

}  // namespace coyote::drivers::beanstalk
