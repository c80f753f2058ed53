#include "jobs/priority_queue.hpp"

#include "log/log.hpp"
#include "support/guarded_call.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <utility>

namespace coyote::host::jobs {
namespace {

// on_room callbacks are driver code run on the loop: guarded, so a throwing one is logged as
// that driver's error instead of unwinding the loop.
std::function<void()> guarded_room_callback(std::function<void()> callback) {
  return [callback = std::move(callback)] {
    auto status = support::guarded_call("a driver", "its on_room callback", [&] {
      callback();
      return sdk::Status::ok();
    });
    if (!status) log::get("jobs")->error("{}", status.message());
  };
}

}  // namespace

PriorityQueue::PriorityQueue(boost::asio::io_context& io, std::size_t capacity)
    : io_(io), capacity_(capacity == 0 ? 1 : capacity) {}

PriorityQueue::~PriorityQueue() = default;

namespace {
// Empty lanes are kept for reuse up to this many, and beyond it while they are not the majority.
constexpr std::size_t kLanesKeptEmpty = 8;
}  // namespace

PriorityQueue::Lane& PriorityQueue::lane_locked(std::int64_t priority) {
  auto it = lanes_.find(priority);
  if (it == lanes_.end()) {
    prune_lanes_locked();
    it = lanes_.try_emplace(priority).first;
    it->second.priority = priority;
  }
  return it->second;
}

void PriorityQueue::prune_lanes_locked() {
  const std::size_t empty = lanes_.size() - ready_.size();
  if (empty <= kLanesKeptEmpty || empty * 2 <= lanes_.size()) return;
  lane_steps_ += lanes_.size();
  std::erase_if(lanes_, [](const auto& lane) { return lane.second.entries.empty(); });
}

void PriorityQueue::index_locked(Lane& lane) {
  ready_.push_back(&lane);
  std::push_heap(ready_.begin(), ready_.end(), LaterLane{});
}

PriorityQueue::Tally& PriorityQueue::tally_locked(const std::string& pipeline) {
  if (last_tally_ != nullptr && last_pipeline_ == pipeline) return *last_tally_;
  Tally& tally = tallies_[pipeline];
  last_pipeline_ = pipeline;
  last_tally_ = &tally;
  return tally;
}

PriorityQueue::PipelineLoad PriorityQueue::load_of(const Tally& tally) {
  PipelineLoad load;
  load.queued = tally.queued;
  for (const auto& [priority, stamps] : tally.stamps) {
    if (stamps.empty()) continue;
    if (load.oldest == Stamp{} || stamps.front() < load.oldest) load.oldest = stamps.front();
  }
  return load;
}

void PriorityQueue::push_locked(std::unique_ptr<sdk::Job>& job) {
  const std::int64_t priority = job->priority();
  Tally& tally = tally_locked(job->pipeline());
  tally.stamps[priority].push_back(std::chrono::steady_clock::now());
  ++tally.queued;
  Lane& lane = lane_locked(priority);
  lane.entries.push_back(Entry{next_seq_++, std::move(job)});
  if (lane.entries.size() == 1) index_locked(lane);
  ++size_;
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
  if (size_ >= capacity_) return;
  room_cv_.notify_all();
  for (auto& waiter : room_waiters_)
    boost::asio::post(io_, guarded_room_callback(std::move(waiter)));
  room_waiters_.clear();
}

bool PriorityQueue::try_insert(std::unique_ptr<sdk::Job>& job) {
  if (!job) return false;
  std::lock_guard lock(mutex_);
  if (size_ >= capacity_) return false;
  push_locked(job);
  return true;
}

bool PriorityQueue::insert(std::unique_ptr<sdk::Job>& job, std::chrono::milliseconds timeout) {
  if (!job) return false;
  std::unique_lock lock(mutex_);
  if (!room_cv_.wait_for(lock, timeout, [this] { return size_ < capacity_; })) return false;
  push_locked(job);
  return true;
}

void PriorityQueue::on_room(std::function<void()> callback) {
  if (!callback) return;
  std::lock_guard lock(mutex_);
  if (size_ < capacity_) {
    boost::asio::post(io_, guarded_room_callback(std::move(callback)));
    return;
  }
  room_waiters_.push_back(std::move(callback));
}

std::vector<std::unique_ptr<sdk::Job>> PriorityQueue::remove(std::string_view pipeline) {
  std::vector<Entry> removed;
  {
    std::lock_guard lock(mutex_);
    lane_steps_ += ready_.size();
    for (Lane* lane : ready_) {
      // Compacted in place: a lane keeps its storage, and no lane is rebuilt.
      auto& entries = lane->entries;
      auto kept = entries.begin();
      for (auto it = entries.begin(); it != entries.end(); ++it) {
        if (it->job->pipeline() == pipeline) {
          removed.push_back(std::move(*it));
        } else {
          if (kept != it) *kept = std::move(*it);
          ++kept;
        }
      }
      entries.erase(kept, entries.end());
    }
    if (!removed.empty()) {
      std::erase_if(ready_, [](const Lane* lane) { return lane->entries.empty(); });
      std::make_heap(ready_.begin(), ready_.end(), LaterLane{});
      size_ -= removed.size();
      release_room_locked();
    }
    if (last_pipeline_ == pipeline) last_tally_ = nullptr;
    if (const auto it = tallies_.find(std::string(pipeline)); it != tallies_.end()) {
      tallies_.erase(it);
    }
  }
  std::sort(removed.begin(), removed.end(),
            [](const Entry& a, const Entry& b) { return a.seq < b.seq; });
  std::vector<std::unique_ptr<sdk::Job>> out;
  out.reserve(removed.size());
  for (auto& e : removed) out.push_back(std::move(e.job));
  return out;
}

std::uint64_t PriorityQueue::lane_steps() const {
  std::lock_guard lock(mutex_);
  return lane_steps_;
}

std::size_t PriorityQueue::lanes() const {
  std::lock_guard lock(mutex_);
  return lanes_.size();
}

std::size_t PriorityQueue::size() const {
  std::lock_guard lock(mutex_);
  return size_;
}

void PriorityQueue::set_on_job(std::function<void()> callback) {
  std::lock_guard lock(mutex_);
  on_job_ = std::move(callback);
  if (size_ != 0) notify_job_locked();
}

std::optional<PriorityQueue::Taken> PriorityQueue::take() {
  std::lock_guard lock(mutex_);
  if (ready_.empty()) return std::nullopt;
  Lane& lane = *ready_.front();
  Taken taken{lane.priority, lane.entries.front().seq, std::move(lane.entries.front().job), {}};
  lane.entries.pop_front();
  Tally& tally = tally_locked(taken.job->pipeline());
  auto& stamps = tally.stamps[taken.priority];
  // Never empty while the tally counts this job; guarded so a driver whose job changed its
  // pipeline name cannot make the host read past the end.
  if (!stamps.empty()) {
    taken.enqueued = stamps.front();
    stamps.pop_front();
  }
  if (tally.queued > 0) --tally.queued;
  if (lane.entries.empty()) {
    std::pop_heap(ready_.begin(), ready_.end(), LaterLane{});
    ready_.pop_back();
  }
  --size_;
  release_room_locked();
  return taken;
}

void PriorityQueue::restore(Taken taken) {
  if (!taken.job) return;
  std::lock_guard lock(mutex_);
  // It was the front of its lane a moment ago; later inserts only went behind it.
  Tally& tally = tally_locked(taken.job->pipeline());
  tally.stamps[taken.priority].push_front(taken.enqueued);
  ++tally.queued;
  Lane& lane = lane_locked(taken.priority);
  lane.entries.push_front(Entry{taken.seq, std::move(taken.job)});
  if (lane.entries.size() == 1) index_locked(lane);
  ++size_;
}

}  // namespace coyote::host::jobs
