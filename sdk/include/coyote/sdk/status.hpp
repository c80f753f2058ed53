// Status: the result of an operation that can fail on the hot path or at the plugin boundary.
#pragma once

#include <string>
#include <utility>

namespace coyote::sdk {

/// A success flag plus a human-readable error. Cheap when ok (empty string, no allocation).
/// Used instead of exceptions wherever the host calls into a driver on the hot path
/// (push, ack, nack, requeue, pause, resume), so a driver's failure never unwinds host frames.
class Status {
 public:
  Status() = default;

  static Status ok() { return Status{}; }
  static Status error(std::string message) {
    Status s;
    s.failed_ = true;
    s.message_ = std::move(message);
    return s;
  }

  [[nodiscard]] bool is_ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return !failed_; }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

 private:
  bool failed_ = false;
  std::string message_;
};

}  // namespace coyote::sdk
