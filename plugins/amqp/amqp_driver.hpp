// The amqp driver (driver: amqp): AmqpDriver serves one pipeline, AmqpConstructor builds them.
#pragma once

#include "amqp/amqp_core.hpp"

#include <coyote/sdk/config.hpp>
#include <coyote/sdk/driver.hpp>
#include <coyote/sdk/logger.hpp>

#include <memory>
#include <vector>

namespace coyote::drivers::amqp {

/// Thin: every call goes to the pipeline's AmqpCore and returns at once. A push completes on
/// the core's I/O thread when the broker's publisher confirm arrives.
class AmqpDriver final : public sdk::Driver {
 public:
  explicit AmqpDriver(std::shared_ptr<AmqpCore> core) : core_(std::move(core)) {}
  ~AmqpDriver() override { core_->shutdown(); }
  AmqpDriver(const AmqpDriver&) = delete;
  AmqpDriver& operator=(const AmqpDriver&) = delete;
  AmqpDriver(AmqpDriver&&) = delete;
  AmqpDriver& operator=(AmqpDriver&&) = delete;

  void push(sdk::Message message, sdk::Completion done) override;
  void push_batch(std::vector<sdk::Message> messages, sdk::Completion done) override;
  sdk::Status run() override { return core_->run(); }
  sdk::Status stop() override { return core_->stop(); }
  sdk::Status pause() override { return core_->pause(); }
  sdk::Status resume() override { return core_->resume(); }
  [[nodiscard]] sdk::State state() override { return core_->state(); }

 private:
  std::shared_ptr<AmqpCore> core_;
};

class AmqpConstructor final : public sdk::DriverConstructor {
 public:
  AmqpConstructor(const sdk::Config& config, sdk::Logger& log) : config_(config), log_(log) {}

  [[nodiscard]] std::string_view name() const override { return "amqp"; }
  /// Throws sdk::ConfigError for a bad value (global amqp.* keys included).
  std::unique_ptr<sdk::Driver> from_config(std::string_view config_key, sdk::Queue& queue,
                                           const sdk::Pipeline& pipeline) override;
  /// Throws std::invalid_argument (or sdk::ConfigError for the global section).
  std::unique_ptr<sdk::Driver> from_pipeline(const sdk::Pipeline& pipeline,
                                             sdk::Queue& queue) override;

 private:
  std::unique_ptr<sdk::Driver> make(PipelineSettings settings, sdk::Queue& queue);
  const GlobalSettings& global();

  const sdk::Config& config_;
  sdk::Logger& log_;
  std::unique_ptr<GlobalSettings> global_;  // parsed once, at the first pipeline
};

}  // namespace coyote::drivers::amqp
