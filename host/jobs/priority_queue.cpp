#include "jobs/priority_queue.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <utility>

namespace coyote::host::jobs {

PriorityQueue::PriorityQueue(boost::asio::io_context& io, std::size_t capacity)
    : io_(io), capacity_(capacity == 0 ? 1 : capacity) {}

PriorityQueue::~PriorityQueue() = default;

void PriorityQueue::push_locked(std::unique_ptr<sdk::Job>& job) {
  heap_.push_back(Entry{job->priority(), next_seq_++, std::move(job)});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  notify_job_locked();
}

void PriorityQueue::notify_job_locked() {
  if (job_notice_pending_ || !on_job_) return;
  job_notice_pending_ = true;
  boost::asio::post(io_, [this] {
    std::function<void()> callback;
    {
      std::lock_guard lock(mutex_);
      // Cleared before the callback runs: a job inserted while the dispatcher drains gets its own
      // post, so none is ever left without a wake-up.
      job_notice_pending_ = false;
      callback = on_job_;
    }
    if (callback) callback();
  });
}

void PriorityQueue::release_room_locked() {
  if (heap_.size() >= capacity_) return;
  room_cv_.notify_all();
  for (auto& waiter : room_waiters_) boost::asio::post(io_, std::move(waiter));
  room_waiters_.clear();
}

bool PriorityQueue::try_insert(std::unique_ptr<sdk::Job>& job) {
  if (!job) return false;
  std::lock_guard lock(mutex_);
  if (heap_.size() >= capacity_) return false;
  push_locked(job);
  return true;
}

bool PriorityQueue::insert(std::unique_ptr<sdk::Job>& job, std::chrono::milliseconds timeout) {
  if (!job) return false;
  std::unique_lock lock(mutex_);
  if (!room_cv_.wait_for(lock, timeout, [this] { return heap_.size() < capacity_; })) return false;
  push_locked(job);
  return true;
}

void PriorityQueue::on_room(std::function<void()> callback) {
  if (!callback) return;
  std::lock_guard lock(mutex_);
  if (heap_.size() < capacity_) {
    boost::asio::post(io_, std::move(callback));
    return;
  }
  room_waiters_.push_back(std::move(callback));
}

std::vector<std::unique_ptr<sdk::Job>> PriorityQueue::remove(std::string_view pipeline) {
  std::vector<Entry> removed;
  {
    std::lock_guard lock(mutex_);
    auto keep_end = std::partition(heap_.begin(), heap_.end(),
                                   [&](const Entry& e) { return e.job->pipeline() != pipeline; });
    removed.assign(std::make_move_iterator(keep_end), std::make_move_iterator(heap_.end()));
    heap_.erase(keep_end, heap_.end());
    std::make_heap(heap_.begin(), heap_.end(), Later{});
    if (!removed.empty()) release_room_locked();
  }
  std::sort(removed.begin(), removed.end(),
            [](const Entry& a, const Entry& b) { return a.seq < b.seq; });
  std::vector<std::unique_ptr<sdk::Job>> out;
  out.reserve(removed.size());
  for (auto& e : removed) out.push_back(std::move(e.job));
  return out;
}

std::size_t PriorityQueue::size() const {
  std::lock_guard lock(mutex_);
  return heap_.size();
}

void PriorityQueue::set_on_job(std::function<void()> callback) {
  std::lock_guard lock(mutex_);
  on_job_ = std::move(callback);
  if (!heap_.empty()) notify_job_locked();
}

std::optional<PriorityQueue::Taken> PriorityQueue::take() {
  std::lock_guard lock(mutex_);
  if (heap_.empty()) return std::nullopt;
  std::pop_heap(heap_.begin(), heap_.end(), Later{});
  Entry e = std::move(heap_.back());
  heap_.pop_back();
  release_room_locked();
  return Taken{e.priority, e.seq, std::move(e.job)};
}

void PriorityQueue::restore(Taken taken) {
  if (!taken.job) return;
  std::lock_guard lock(mutex_);
  heap_.push_back(Entry{taken.priority, taken.seq, std::move(taken.job)});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
}

}  // namespace coyote::host::jobs
