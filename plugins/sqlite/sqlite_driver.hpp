// The durable embedded driver: SqliteDriver serves one pipeline; SqliteConstructor builds them
// for the names `sqlite` (Coyote's keys) and `boltdb` (RoadRunner's keys and defaults).
#pragma once

#include "sqlite/driver_options.hpp"
#include "sqlite/file_registry.hpp"
#include "sqlite/pipeline_core.hpp"

#include <coyote/sdk/config.hpp>
#include <coyote/sdk/driver.hpp>
#include <coyote/sdk/logger.hpp>

#include <memory>
#include <vector>

namespace coyote::drivers::sqlite {

/// A push is acknowledged after the commit that holds it is durable (group commit: concurrent
/// pushes of every pipeline of the file share one commit and one fdatasync); a PushBatch is one
/// transaction. Nothing here blocks the host's thread.
class SqliteDriver final : public sdk::Driver {
 public:
  SqliteDriver(std::shared_ptr<PipelineCore> core, std::uint64_t lease)
      : core_(std::move(core)), lease_(lease) {}
  ~SqliteDriver() override { (void)core_->stop(lease_); }
  SqliteDriver(const SqliteDriver&) = delete;
  SqliteDriver& operator=(const SqliteDriver&) = delete;
  SqliteDriver(SqliteDriver&&) = delete;
  SqliteDriver& operator=(SqliteDriver&&) = delete;

  void push(sdk::Message message, sdk::Completion done) override {
    std::vector<sdk::Message> one;
    one.push_back(std::move(message));
    core_->push(std::move(one), std::move(done));
  }
  void push_batch(std::vector<sdk::Message> messages, sdk::Completion done) override {
    if (messages.empty()) {
      done(sdk::Status::ok());
      return;
    }
    core_->push(std::move(messages), std::move(done));
  }
  sdk::Status run() override { return core_->run(); }
  /// The pipeline stops reserving; its rows stay in the file (a later Declare of the same name
  /// on the same file serves them), and acknowledgements of jobs still at workers still apply.
  sdk::Status stop() override { return core_->stop(lease_); }
  sdk::Status pause() override { return core_->pause(); }
  sdk::Status resume() override { return core_->resume(); }
  [[nodiscard]] sdk::State state() override { return core_->state(); }

 private:
  std::shared_ptr<PipelineCore> core_;
  std::uint64_t lease_;
};

class SqliteConstructor final : public sdk::DriverConstructor {
 public:
  SqliteConstructor(const Flavor& flavor, std::shared_ptr<FileRegistry> registry,
                    const sdk::Config& config, sdk::Logger& log)
      : flavor_(flavor), registry_(std::move(registry)), config_(config), log_(log) {}

  [[nodiscard]] std::string_view name() const override { return flavor_.name; }
  /// Throws sdk::ConfigError for a bad key or a `file` that is not a SQLite database.
  std::unique_ptr<sdk::Driver> from_config(std::string_view config_key, sdk::Queue& queue,
                                           const sdk::Pipeline& pipeline) override;
  /// Throws std::invalid_argument for the same reasons (jobs.Declare's error reply).
  std::unique_ptr<sdk::Driver> from_pipeline(const sdk::Pipeline& pipeline,
                                             sdk::Queue& queue) override;

 private:
  std::unique_ptr<sdk::Driver> make(const sdk::Pipeline& pipeline, sdk::Queue& queue,
                                    const DriverOptions& options);

  const Flavor& flavor_;
  std::shared_ptr<FileRegistry> registry_;
  const sdk::Config& config_;
  sdk::Logger& log_;
};

}  // namespace coyote::drivers::sqlite
