// Job: one queued item, owned by the host's priority queue and acknowledged through its driver.
#pragma once

#include <coyote/sdk/headers.hpp>
#include <coyote/sdk/json_text.hpp>
#include <coyote/sdk/message.hpp>
#include <coyote/sdk/status.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

namespace coyote::sdk {

/// A driver subclasses Job to attach its own acknowledgement logic (a broker delivery tag, a row
/// id, a slot in a memory buffer). The host reads the data members, sends context() and payload()
/// to a worker, then calls exactly one of ack / nack / nack_with_options / requeue with the
/// worker's decision.
///
/// Threading: the host calls every method (and the destructor) on its loop thread, one
/// acknowledgement per job. A driver must make them safe against its own threads. They must not
/// block: an acknowledgement that needs a broker round trip or a commit is queued to the driver's
/// thread and the Status reports only that it was accepted (at-least-once: an ack lost in a
/// crash means a redelivery, never a loss).
///
/// Ownership: the host holds the Job in a std::unique_ptr until the acknowledgement call returns,
/// then destroys it (the destructor runs plugin code; plugins are never unloaded, so this is safe).
/// A requeue therefore must copy whatever it needs into a new Job of its own.
class Job {
 public:
  explicit Job(Message message) : message_(std::move(message)) {}
  virtual ~Job() = default;
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  [[nodiscard]] const std::string& id() const noexcept { return message_.id; }
  [[nodiscard]] const std::string& name() const noexcept { return message_.name; }
  [[nodiscard]] const std::string& payload() const noexcept { return message_.payload; }
  [[nodiscard]] const Headers& headers() const noexcept { return message_.headers; }
  [[nodiscard]] Headers& headers() noexcept { return message_.headers; }
  [[nodiscard]] const std::string& pipeline() const noexcept { return message_.options.pipeline; }
  /// The effective priority: lower runs first. Drivers replace 0 with the pipeline's priority.
  [[nodiscard]] std::int64_t priority() const noexcept { return message_.options.priority; }
  void set_priority(std::int64_t p) noexcept { message_.options.priority = p; }
  [[nodiscard]] std::chrono::seconds delay() const noexcept {
    return std::chrono::seconds{message_.options.delay_seconds};
  }
  [[nodiscard]] bool auto_ack() const noexcept { return message_.options.auto_ack; }
  [[nodiscard]] const Message& message() const noexcept { return message_; }
  [[nodiscard]] Message& message() noexcept { return message_; }

  /// The context JSON a worker receives as the frame header, appended to `out` (the host reuses
  /// one buffer for every job it dispatches). The default is the memory driver's shape (spec
  /// 3.2): keys id, job, driver, headers, pipeline, in that order; a broker driver overrides it
  /// to add its own keys ("queue") as RoadRunner's driver of that name does.
  virtual void write_context(std::string& out) const {
    using namespace std::string_view_literals;
    json_text::append(out, R"({"id":)"sv, json_text::quoted(message_.id), R"(,"job":)"sv,
                      json_text::quoted(message_.name), R"(,"driver":)"sv,
                      json_text::quoted(driver_name()), R"(,"headers":)"sv,
                      json_text::headers_object(message_.headers), R"(,"pipeline":)"sv,
                      json_text::quoted(message_.options.pipeline), "}"sv);
  }

  /// write_context into a new string, for tests and tools.
  [[nodiscard]] std::string context() const {
    std::string out;
    write_context(out);
    return out;
  }

  /// The driver's name as workers see it in the context ("memory", "amqp", ...).
  [[nodiscard]] virtual std::string_view driver_name() const = 0;

  /// The worker finished the job: remove it for good.
  virtual Status ack() = 0;
  /// The job failed and must not be redelivered by this call.
  virtual Status nack() = 0;
  /// The job failed; when `requeue`, deliver it again (same id, headers unchanged) after `delay`.
  virtual Status nack_with_options(bool requeue, std::chrono::seconds delay) = 0;
  /// Deliver again after `delay`, with `headers` merged over the job's own.
  virtual Status requeue(const Headers& headers, std::chrono::seconds delay) = 0;

 protected:
  /// For a driver that fills message_ where it lies (from its own stored form) instead of
  /// building a Message and moving it in: the move and the temporary's destruction cost ~130
  /// instructions per delivered job (callgrind, docs/architecture.md). Header-only and
  /// additive: the class's layout and vtable are unchanged, so the ABI version is too.
  Job() = default;

  Message message_;
};

}  // namespace coyote::sdk
