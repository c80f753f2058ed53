// The Redis Streams driver (driver: redis): RedisDriver serves one pipeline, RedisConstructor
// builds them and owns the process's RedisClient.
#pragma once

#include "redis/redis_client.hpp"
#include "redis/stream_pipeline.hpp"

#include <coyote/sdk/config.hpp>
#include <coyote/sdk/driver.hpp>
#include <coyote/sdk/logger.hpp>

#include <memory>
#include <vector>

namespace coyote::drivers::redis {

class RedisDriver final : public sdk::Driver {
 public:
  explicit RedisDriver(std::shared_ptr<StreamPipeline> pipeline) : pipeline_(std::move(pipeline)) {}
  ~RedisDriver() override { (void)pipeline_->stop(); }
  RedisDriver(const RedisDriver&) = delete;
  RedisDriver& operator=(const RedisDriver&) = delete;
  RedisDriver(RedisDriver&&) = delete;
  RedisDriver& operator=(RedisDriver&&) = delete;

  /// Completes when Redis answered the XADD (or the delayed-set script): see config/reference.md
  /// for which server settings make that answer durable.
  void push(sdk::Message message, sdk::Completion done) override {
    pipeline_->push(std::move(message), std::move(done));
  }
  /// All XADDs pipelined on one connection, one round trip.
  void push_batch(std::vector<sdk::Message> messages, sdk::Completion done) override {
    pipeline_->push_batch(std::move(messages), std::move(done));
  }
  sdk::Status run() override { return pipeline_->run(); }
  sdk::Status stop() override { return pipeline_->stop(); }
  sdk::Status pause() override { return pipeline_->pause(); }
  sdk::Status resume() override { return pipeline_->resume(); }
  [[nodiscard]] sdk::State state() override { return pipeline_->state(); }

 private:
  std::shared_ptr<StreamPipeline> pipeline_;
};

class RedisConstructor final : public sdk::DriverConstructor {
 public:
  RedisConstructor(const sdk::Config& config, sdk::Logger& log) : config_(config), log_(log) {}
  /// Closes the connections (after the host stopped every pipeline).
  ~RedisConstructor() override = default;
  RedisConstructor(const RedisConstructor&) = delete;
  RedisConstructor& operator=(const RedisConstructor&) = delete;
  RedisConstructor(RedisConstructor&&) = delete;
  RedisConstructor& operator=(RedisConstructor&&) = delete;

  [[nodiscard]] std::string_view name() const override { return "redis"; }
  /// Throws sdk::ConfigError for a bad key in `config` or in the `redis:` section.
  std::unique_ptr<sdk::Driver> from_config(std::string_view config_key, sdk::Queue& queue,
                                           const sdk::Pipeline& pipeline) override;
  /// Throws std::invalid_argument (or sdk::ConfigError for the `redis:` section).
  std::unique_ptr<sdk::Driver> from_pipeline(const sdk::Pipeline& pipeline,
                                             sdk::Queue& queue) override;

 private:
  RedisClient& client();
  std::unique_ptr<sdk::Driver> make(StreamOptions options, sdk::Queue& queue);

  const sdk::Config& config_;
  sdk::Logger& log_;
  std::unique_ptr<RedisClient> client_;
};

}  // namespace coyote::drivers::redis
