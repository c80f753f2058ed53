// A test-only sdk::Queue: bounded, FIFO (priorities ignored), thread-safe.
#pragma once

#include <coyote/sdk/queue.hpp>

#include <condition_variable>
#include <deque>
#include <mutex>

namespace coyote::test {

class TestQueue final : public sdk::Queue {
 public:
  explicit TestQueue(std::size_t capacity = 100) : capacity_(capacity) {}

  bool try_insert(std::unique_ptr<sdk::Job>& job) override {
    std::lock_guard lock(mutex_);
    if (jobs_.size() >= capacity_) return false;
    jobs_.push_back(std::move(job));
    changed_.notify_all();
    return true;
  }
  bool insert(std::unique_ptr<sdk::Job>& job, std::chrono::milliseconds) override {
    return try_insert(job);
  }
  void on_room(std::function<void()> callback) override {
    std::unique_lock lock(mutex_);
    if (jobs_.size() < capacity_) {
      lock.unlock();
      callback();
      return;
    }
    waiters_.push_back(std::move(callback));
  }
  std::vector<std::unique_ptr<sdk::Job>> remove(std::string_view pipeline) override {
    std::lock_guard lock(mutex_);
    std::vector<std::unique_ptr<sdk::Job>> out;
    for (auto it = jobs_.begin(); it != jobs_.end();) {
      if ((*it)->pipeline() == pipeline) {
        out.push_back(std::move(*it));
        it = jobs_.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }
  [[nodiscard]] std::size_t size() const override {
    std::lock_guard lock(mutex_);
    return jobs_.size();
  }
  [[nodiscard]] std::size_t capacity() const override { return capacity_; }

  /// The oldest job, or nullptr; frees room and runs one waiting on_room callback.
  std::unique_ptr<sdk::Job> take() {
    std::unique_lock lock(mutex_);
    if (jobs_.empty()) return nullptr;
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    std::function<void()> waiter;
    if (!waiters_.empty()) {
      waiter = std::move(waiters_.front());
      waiters_.pop_front();
    }
    lock.unlock();
    if (waiter) waiter();
    return job;
  }

  /// Waits (bounded) until the queue holds at least `count` jobs.
  bool wait_for_size(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return jobs_.size() >= count; });
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::unique_ptr<sdk::Job>> jobs_;
  std::deque<std::function<void()>> waiters_;
  std::size_t capacity_;
};

}  // namespace coyote::test
