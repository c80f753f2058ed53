// push_now: a driver push for tests, waiting for its completion (which may come from any thread).
#pragma once

#include <coyote/sdk/driver.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace coyote::test {

namespace detail {
struct Waiter {
  std::mutex mutex;
  std::condition_variable cv;
  std::optional<sdk::Status> status;
  sdk::Completion completion() {
    return [self = this](sdk::Status s) {
      std::lock_guard lock(self->mutex);
      self->status = std::move(s);
      self->cv.notify_all();
    };
  }
  sdk::Status wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    if (!cv.wait_for(lock, timeout, [&] { return status.has_value(); })) {
      return sdk::Status::error("push_now: the driver did not complete within the timeout");
    }
    return *status;
  }
};
}  // namespace detail

/// The status the driver completed the push with; an error if it did not complete in `timeout`.
/// The waiter outlives every completion the driver could still call: it is kept alive here.
inline sdk::Status push_now(sdk::Driver& driver, sdk::Message message,
                            std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
  auto waiter = std::make_shared<detail::Waiter>();
  driver.push(std::move(message), [waiter](sdk::Status s) { waiter->completion()(std::move(s)); });
  return waiter->wait(timeout);
}

inline sdk::Status push_batch_now(sdk::Driver& driver, std::vector<sdk::Message> messages,
                                  std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
  auto waiter = std::make_shared<detail::Waiter>();
  driver.push_batch(std::move(messages),
                    [waiter](sdk::Status s) { waiter->completion()(std::move(s)); });
  return waiter->wait(timeout);
}

}  // namespace coyote::test
