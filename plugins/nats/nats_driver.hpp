// The nats driver (driver: nats, JetStream only): NatsDriver serves one pipeline, NatsConstructor
// builds them from .rr.yaml or jobs.Declare.
#pragma once

#include "nats/nats_core.hpp"

#include <coyote/sdk/config.hpp>
#include <coyote/sdk/driver.hpp>
#include <coyote/sdk/logger.hpp>

#include <memory>
#include <vector>

namespace coyote::drivers::nats {

class NatsDriver final : public sdk::Driver {
 public:
  explicit NatsDriver(std::shared_ptr<NatsCore> core) : core_(std::move(core)) {}
  /// Waits (bounded: the fetch in progress, then the close drain) for the pipeline's threads.
  ~NatsDriver() override { core_->shutdown(); }
  NatsDriver(const NatsDriver&) = delete;
  NatsDriver& operator=(const NatsDriver&) = delete;
  NatsDriver(NatsDriver&&) = delete;
  NatsDriver& operator=(NatsDriver&&) = delete;

  /// Completes on the JetStream publish ack (or its failure, bounded by jobs.timeout).
  void push(sdk::Message message, sdk::Completion done) override;
  /// Publishes the batch back to back (pipelined) and completes once every ack is in.
  void push_batch(std::vector<sdk::Message> messages, sdk::Completion done) override;
  sdk::Status run() override { return core_->run(); }
  sdk::Status stop() override { return core_->stop(); }
  sdk::Status pause() override { return core_->pause(); }
  sdk::Status resume() override { return core_->resume(); }
  [[nodiscard]] sdk::State state() override { return core_->state(); }

 private:
  std::shared_ptr<NatsCore> core_;
};

class NatsConstructor final : public sdk::DriverConstructor {
 public:
  NatsConstructor(const sdk::Config& config, sdk::Logger& log) : config_(config), log_(log) {}

  [[nodiscard]] std::string_view name() const override { return "nats"; }
  /// Throws sdk::ConfigError for a bad option. Never connects here: the pipeline's own thread
  /// does, and retries forever.
  std::unique_ptr<sdk::Driver> from_config(std::string_view config_key, sdk::Queue& queue,
                                           const sdk::Pipeline& pipeline) override;
  /// Throws std::invalid_argument for a bad option.
  std::unique_ptr<sdk::Driver> from_pipeline(const sdk::Pipeline& pipeline,
                                             sdk::Queue& queue) override;

 private:
  std::unique_ptr<sdk::Driver> make(NatsOptions options, sdk::Queue& queue);

  const sdk::Config& config_;
  sdk::Logger& log_;
  bool warned_no_global_ = false;
};

}  // namespace coyote::drivers::nats
