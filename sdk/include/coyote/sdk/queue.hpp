// Queue: the host's shared priority queue, as a driver sees it.
#pragma once

#include <coyote/sdk/job.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace coyote::sdk {

/// Implemented by the host. All methods are thread-safe: a driver calls them from the host's
/// loop thread (inside push, run, resume, an acknowledgement) or from its own threads.
///
/// The queue is bounded (jobs.pipeline_size). A driver that moves jobs in on a host thread uses
/// try_insert and, when it returns false, keeps the job and asks for a wake-up with on_room; a
/// driver with its own consumer thread may instead block in insert.
class Queue {
 public:
  virtual ~Queue() = default;

  /// Takes the job when there is room and returns true; otherwise returns false and leaves
  /// `job` untouched. Lower priority() runs first; equal priorities run in insertion order.
  virtual bool try_insert(std::unique_ptr<Job>& job) = 0;

  /// Like try_insert, but waits up to `timeout` for room. Never call it from a host callback
  /// (ack/nack/requeue, on_room): those run on the threads that drain the queue.
  virtual bool insert(std::unique_ptr<Job>& job, std::chrono::milliseconds timeout) = 0;

  /// Runs `callback` once, on a host thread, the next time room frees up after a failed
  /// try_insert (immediately if there is room now). The callback must not block.
  virtual void on_room(std::function<void()> callback) = 0;

  /// Removes and returns every queued (not yet dispatched) job of `pipeline`, oldest first.
  virtual std::vector<std::unique_ptr<Job>> remove(std::string_view pipeline) = 0;

  [[nodiscard]] virtual std::size_t size() const = 0;
  [[nodiscard]] virtual std::size_t capacity() const = 0;
};

}  // namespace coyote::sdk
