#include "redis/redis_driver.hpp"

namespace coyote::drivers::redis {

RedisClient& RedisConstructor::client() {
  if (!client_) {
    // Read when the first redis pipeline is built, so a config without redis pipelines never
    // needs a `redis:` section (and never opens a connection).
    ClientOptions options = ClientOptions::from_config(config_);
    if (!config_.has("redis")) {
      log_.info("redis: no `redis:` section, connecting to " + options.endpoint.display());
    }
    client_ = std::make_unique<RedisClient>(std::move(options), log_);
  }
  return *client_;
}

std::unique_ptr<sdk::Driver> RedisConstructor::from_config(std::string_view config_key,
                                                           sdk::Queue& queue,
                                                           const sdk::Pipeline& pipeline) {
  return make(StreamOptions::from_config(config_, config_key, pipeline), queue);
}

std::unique_ptr<sdk::Driver> RedisConstructor::from_pipeline(const sdk::Pipeline& pipeline,
                                                             sdk::Queue& queue) {
  return make(StreamOptions::from_pipeline(pipeline, log_), queue);
}

std::unique_ptr<sdk::Driver> RedisConstructor::make(StreamOptions options, sdk::Queue& queue) {
  RedisClient& c = client();
  if (log_.enabled(sdk::LogLevel::kDebug)) {
    log_.debug("redis pipeline " + options.pipeline + ": stream " + options.stream + ", group " +
               options.group + ", consumer " + options.consumer + ", prefetch " +
               std::to_string(options.prefetch) + " on " + c.options().endpoint.display());
  }
  auto pipeline = std::make_shared<StreamPipeline>(c, std::move(options), queue);
  c.attach(pipeline);
  return std::make_unique<RedisDriver>(std::move(pipeline));
}

}  // namespace coyote::drivers::redis
