// MemoryJob: a queued memory-pipeline job; its acknowledgement goes back to the PipelineCore.
#pragma once

#include "memory/pipeline_core.hpp"

#include <coyote/sdk/job.hpp>

#include <memory>

namespace coyote::drivers::memory {

/// Context = the SDK default's bytes (driver "memory", spec 3.2), its per-pipeline tail escaped
/// once by the core. auto_ack is ignored, as in RoadRunner.
class MemoryJob final : public sdk::Job {
 public:
  /// `message` is moved from once, straight into the job (a Message is ~280 bytes to move).
  MemoryJob(std::shared_ptr<PipelineCore> core, sdk::Message&& message, bool delayed);
  /// Unpacks `packed` (left empty) straight into the job: no intermediate Message to move.
  MemoryJob(std::shared_ptr<PipelineCore> core, PackedMessage& packed, const std::string& pipeline);
  ~MemoryJob() override;
  MemoryJob(const MemoryJob&) = delete;
  MemoryJob& operator=(const MemoryJob&) = delete;

  [[nodiscard]] std::string_view driver_name() const override { return "memory"; }
  void write_context(std::string& out) const override;
  sdk::Status ack() override;
  sdk::Status nack() override;
  sdk::Status nack_with_options(bool requeue, std::chrono::seconds delay) override;
  sdk::Status requeue(const sdk::Headers& headers, std::chrono::seconds delay) override;

  /// The core counts the job in flight only once the host queue took it.
  void set_counted(bool counted) noexcept { counted_ = counted; }
  [[nodiscard]] bool delayed() const noexcept { return delayed_; }

 private:
  std::shared_ptr<PipelineCore> core_;
  bool delayed_;
  bool counted_ = false;
  bool settled_ = false;
};

}  // namespace coyote::drivers::memory
