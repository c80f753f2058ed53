// The beanstalk driver (driver: beanstalk): BeanstalkDriver serves one pipeline (one tube),
// BeanstalkConstructor builds them from .rr.yaml or jobs.Declare.
#pragma once

#include "beanstalk/tube_core.hpp"

#include <coyote/sdk/config.hpp>
#include <coyote/sdk/driver.hpp>
#include <coyote/sdk/logger.hpp>

#include <memory>
#include <vector>

namespace coyote::drivers::beanstalk {

/// Every method only hands work to the pipeline's io thread (TubeCore) and returns.
class BeanstalkDriver final : public sdk::Driver {
 public:
  explicit BeanstalkDriver(std::shared_ptr<TubeCore> core) : core_(std::move(core)) {}
  ~BeanstalkDriver() override {
    try {
      core_->shutdown();
    } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
    }
  }
  BeanstalkDriver(const BeanstalkDriver&) = delete;
  BeanstalkDriver& operator=(const BeanstalkDriver&) = delete;
  BeanstalkDriver(BeanstalkDriver&&) = delete;
  BeanstalkDriver& operator=(BeanstalkDriver&&) = delete;

  /// Completes when beanstalkd answered the put: ok on INSERTED, an error naming the cause on
  /// BURIED, JOB_TOO_BIG, DRAINING, or when beanstalkd stays unreachable for jobs.timeout.
  void push(sdk::Message message, sdk::Completion done) override {
    std::vector<sdk::Message> one;
    one.push_back(std::move(message));
    core_->push(std::move(one), std::move(done));
  }
  /// The puts of a batch are pipelined on one connection: one write, one round trip.
  void push_batch(std::vector<sdk::Message> messages, sdk::Completion done) override {
    core_->push(std::move(messages), std::move(done));
  }
  sdk::Status run() override { return core_->run(); }
  sdk::Status stop() override {
    core_->shutdown();
    return sdk::Status::ok();
  }
  sdk::Status pause() override { return core_->pause(); }
  sdk::Status resume() override { return core_->resume(); }
  [[nodiscard]] sdk::State state() override { return core_->state(); }

 private:
  std::shared_ptr<TubeCore> core_;
};

class BeanstalkConstructor final : public sdk::DriverConstructor {
 public:
  BeanstalkConstructor(const sdk::Config& config, sdk::Logger& log) : config_(config), log_(log) {}

  [[nodiscard]] std::string_view name() const override { return "beanstalk"; }
  /// Throws sdk::ConfigError for a bad beanstalk.* or pipeline option.
  std::unique_ptr<sdk::Driver> from_config(std::string_view config_key, sdk::Queue& queue,
                                           const sdk::Pipeline& pipeline) override;
  /// Throws sdk::ConfigError (beanstalk.*) or std::invalid_argument (a declared option).
  std::unique_ptr<sdk::Driver> from_pipeline(const sdk::Pipeline& pipeline,
                                             sdk::Queue& queue) override;

 private:
  std::unique_ptr<sdk::Driver> make(const sdk::Pipeline& pipeline, sdk::Queue& queue,
                                    TubeOptions options);

  const sdk::Config& config_;
  sdk::Logger& log_;
};

}  // namespace coyote::drivers::beanstalk
