// BeanstalkJob: a reserved beanstalkd job in the host; its acknowledgement goes to the TubeCore.
#pragma once

#include "beanstalk/tube_core.hpp"

#include <coyote/sdk/job.hpp>

#include <memory>

namespace coyote::drivers::beanstalk {

/// The context is RoadRunner's beanstalk shape (spec 1.2): id, job, driver, headers, queue (the
/// tube), pipeline. Every acknowledgement only queues a command for the io thread.
class BeanstalkJob final : public sdk::Job {
 public:
  BeanstalkJob(std::shared_ptr<TubeCore> core, sdk::Message message, std::uint64_t ticket);
  ~BeanstalkJob() override;
  BeanstalkJob(const BeanstalkJob&) = delete;
  BeanstalkJob& operator=(const BeanstalkJob&) = delete;
  BeanstalkJob(BeanstalkJob&&) = delete;
  BeanstalkJob& operator=(BeanstalkJob&&) = delete;

  [[nodiscard]] std::string_view driver_name() const override { return "beanstalk"; }
  void write_context(std::string& out) const override;

  /// delete
  sdk::Status ack() override;
  /// delete (RoadRunner: a plain nack deletes)
  sdk::Status nack() override;
  /// requeue: release with the delay, same priority; otherwise delete
  sdk::Status nack_with_options(bool requeue, std::chrono::seconds delay) override;
  /// put a copy with the merged headers, then delete the original
  sdk::Status requeue(const sdk::Headers& headers, std::chrono::seconds delay) override;

  [[nodiscard]] std::uint64_t ticket() const noexcept { return ticket_; }
  /// The job is dropped without acknowledgement by the driver itself (its connection is gone).
  void disown() noexcept { settled_ = true; }

 private:
  std::shared_ptr<TubeCore> core_;
  std::uint64_t ticket_;
  bool settled_ = false;
};

}  // namespace coyote::drivers::beanstalk
