// The memory driver (driver: memory): MemoryDriver serves one pipeline, MemoryConstructor
// builds them from .rr.yaml or jobs.Declare.
#pragma once

#include "memory/delay_timer.hpp"
#include "memory/pipeline_core.hpp"

#include <coyote/sdk/config.hpp>
#include <coyote/sdk/driver.hpp>
#include <coyote/sdk/logger.hpp>

#include <memory>
#include <vector>

namespace coyote::drivers::memory {

/// Default for `prefetch` (max jobs of a pipeline in the host queue or executing). RoadRunner's
/// code uses 100 000 for both config and Declare (its docs say 10); we follow the code, because
/// that is what existing deployments run with, and PHP's MemoryCreateInfo always sends its own
/// value (10) on Declare anyway.
inline constexpr std::int64_t kDefaultPrefetch = 100'000;
/// Default bound of the local FIFO (jobs pushed but not yet moved into the host queue) when
/// jobs.pipeline_size is not set: RoadRunner's buffer holds 100 000; we reuse jobs.pipeline_size.
inline constexpr std::int64_t kDefaultBufferLimit = 1'000'000;

class MemoryDriver final : public sdk::Driver {
 public:
  explicit MemoryDriver(std::shared_ptr<PipelineCore> core) : core_(std::move(core)) {}
  ~MemoryDriver() override { (void)core_->stop(); }
  MemoryDriver(const MemoryDriver&) = delete;
  MemoryDriver& operator=(const MemoryDriver&) = delete;

  /// A memory push is held once it is buffered: completes before returning.
  void push(sdk::Message message, sdk::Completion done) override {
    done(core_->push(std::move(message)));
  }
  void push_batch(std::vector<sdk::Message> messages, sdk::Completion done) override {
    done(core_->push_batch(messages));
  }
  sdk::Status run() override { return core_->run(); }
  sdk::Status stop() override { return core_->stop(); }
  sdk::Status pause() override { return core_->pause(); }
  sdk::Status resume() override { return core_->resume(); }
  [[nodiscard]] sdk::State state() override { return core_->state(); }

 private:
  std::shared_ptr<PipelineCore> core_;
};

class MemoryConstructor final : public sdk::DriverConstructor {
 public:
  MemoryConstructor(const sdk::Config& config, sdk::Logger& log) : config_(config), log_(log) {}

  [[nodiscard]] std::string_view name() const override { return "memory"; }
  /// Throws sdk::ConfigError for a prefetch that is not a positive integer.
  std::unique_ptr<sdk::Driver> from_config(std::string_view config_key, sdk::Queue& queue,
                                           const sdk::Pipeline& pipeline) override;
  /// Throws std::invalid_argument for a prefetch that is not a positive integer.
  std::unique_ptr<sdk::Driver> from_pipeline(const sdk::Pipeline& pipeline,
                                             sdk::Queue& queue) override;

 private:
  std::unique_ptr<sdk::Driver> make(const sdk::Pipeline& pipeline, sdk::Queue& queue,
                                    std::int64_t prefetch);

  const sdk::Config& config_;
  sdk::Logger& log_;
  /// One timer thread for all the pipelines this constructor builds.
  std::shared_ptr<DelayTimer> timer_ = std::make_shared<DelayTimer>();
};

}  // namespace coyote::drivers::memory
