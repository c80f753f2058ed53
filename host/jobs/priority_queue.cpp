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

struct PriorityQueue::Flow {
  std::string pipeline;
  FlowSettings settings;
  std::map<std::int64_t, std::deque<Entry>> lanes;  ///< by priority; no empty lane is kept
  std::size_t queued = 0;
  std::size_t in_flight = 0;
  std::uint64_t pass = 0;    ///< stride scheduling's virtual time of this flow
  std::uint64_t stride = 0;  ///< kStrideUnit / weight
  double tokens = 0;         ///< rate limit bucket
  std::chrono::steady_clock::time_point refilled{};
  bool active = false;

  [[nodiscard]] bool capped() const noexcept {
    return settings.max_concurrency != 0 && in_flight >= settings.max_concurrency;
  }
  [[nodiscard]] const Entry& front() const { return lanes.begin()->second.front(); }
};

namespace {
constexpr std::uint64_t kStrideUnit = std::uint64_t{1} << 32;
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
  if (flow_mode_) {
    Flow& flow = flow_locked(job->pipeline());
    push_flow_locked(Entry{next_seq_++, std::move(job)}, priority, flow, false);
    ++size_;
    notify_job_locked();
    return;
  }
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
    if (flow_mode_) removed = remove_flow_locked(pipeline);
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
  std::optional<Taken> picked;
  if (flow_mode_) {
    picked = take_flow_locked();
    if (!picked) return std::nullopt;
  } else {
    if (ready_.empty()) return std::nullopt;
    Lane& lane = *ready_.front();
    picked.emplace(
        Taken{lane.priority, lane.entries.front().seq, std::move(lane.entries.front().job), {}});
    lane.entries.pop_front();
    if (lane.entries.empty()) {
      std::pop_heap(ready_.begin(), ready_.end(), LaterLane{});
      ready_.pop_back();
    }
  }
  Taken& taken = *picked;
  Tally& tally = tally_locked(taken.job->pipeline());
  auto& stamps = tally.stamps[taken.priority];
  // Never empty while the tally counts this job; guarded so a driver whose job changed its
  // pipeline name cannot make the host read past the end.
  if (!stamps.empty()) {
    taken.enqueued = stamps.front();
    stamps.pop_front();
  }
  if (tally.queued > 0) --tally.queued;
  --size_;
  release_room_locked();
  return picked;
}

void PriorityQueue::restore(Taken taken) {
  if (!taken.job) return;
  std::lock_guard lock(mutex_);
  // It was the front of its lane a moment ago; later inserts only went behind it.
  Tally& tally = tally_locked(taken.job->pipeline());
  tally.stamps[taken.priority].push_front(taken.enqueued);
  ++tally.queued;
  if (taken.flow != nullptr) {
    Flow& flow = *taken.flow;
    // Undoes what the take charged: the slot, the token and the pass.
    if (flow.in_flight > 0) --flow.in_flight;
    if (flow.settings.rate.on()) flow.tokens += 1;
    flow.pass -= std::min(flow.pass, flow.stride);
    push_flow_locked(Entry{taken.seq, std::move(taken.job)}, taken.priority, flow, true);
    ++size_;
    return;
  }
  Lane& lane = lane_locked(taken.priority);
  lane.entries.push_front(Entry{taken.seq, std::move(taken.job)});
  if (lane.entries.size() == 1) index_locked(lane);
  ++size_;
}

// ---- flow mode ----------------------------------------------------------------------------------

namespace {

void refill(PriorityQueue::Flow& flow, std::chrono::steady_clock::time_point now) {
  const RateLimit& rate = flow.settings.rate;
  if (now <= flow.refilled) return;
  const double elapsed = std::chrono::duration<double, std::milli>(now - flow.refilled).count();
  const auto window = static_cast<double>(rate.window.count());
  flow.tokens = std::min(static_cast<double>(rate.count),
                         flow.tokens + elapsed * static_cast<double>(rate.count) / window);
  flow.refilled = now;
}

/// When the flow's next token is there (its bucket is below one).
std::chrono::steady_clock::time_point next_token(const PriorityQueue::Flow& flow) {
  const RateLimit& rate = flow.settings.rate;
  const double missing_ms = (1.0 - flow.tokens) * static_cast<double>(rate.window.count()) /
                            static_cast<double>(rate.count);
  return flow.refilled +
         std::chrono::microseconds(static_cast<std::int64_t>(missing_ms * 1000) + 1);
}

}  // namespace

PriorityQueue::Flow& PriorityQueue::flow_locked(const std::string& pipeline) {
  if (last_flow_ != nullptr && last_flow_->pipeline == pipeline) return *last_flow_;
  auto& slot = flows_[pipeline];
  if (!slot) {
    slot = std::make_unique<Flow>();
    slot->pipeline = pipeline;
    slot->stride = kStrideUnit;
  }
  last_flow_ = slot.get();
  return *slot;
}

void PriorityQueue::push_flow_locked(Entry entry, std::int64_t priority, Flow& flow,
                                     bool at_front) {
  auto& lane = flow.lanes[priority];
  if (at_front) {
    lane.push_front(std::move(entry));
  } else {
    lane.push_back(std::move(entry));
  }
  if (flow.queued++ == 0 && !flow.active) {
    // A flow that was idle competes from the current virtual time on: no banked credit.
    flow.pass = std::max(flow.pass, virtual_pass_);
    flow.active = true;
    active_.push_back(&flow);
  }
}

std::optional<PriorityQueue::Taken> PriorityQueue::take_flow_locked() {
  Flow* best = nullptr;
  std::optional<std::chrono::steady_clock::time_point> wake;
  const bool fair = scheduling_ == Scheduling::kFair;
  std::chrono::steady_clock::time_point now{};
  bool have_now = false;
  for (Flow* flow : active_) {
    if (flow->capped()) continue;  // finished() wakes the dispatcher when a slot frees
    if (flow->settings.rate.on()) {
      if (!have_now) {
        now = clock_ ? clock_() : std::chrono::steady_clock::now();
        have_now = true;
      }
      refill(*flow, now);
      if (flow->tokens < 1.0) {
        const auto at = next_token(*flow);
        if (!wake || at < *wake) wake = at;
        continue;
      }
    }
    if (best == nullptr) {
      best = flow;
      continue;
    }
    const Entry& a = flow->front();
    const Entry& b = best->front();
    const bool better = fair ? (flow->pass != best->pass ? flow->pass < best->pass : a.seq < b.seq)
                             : (flow->lanes.begin()->first != best->lanes.begin()->first
                                    ? flow->lanes.begin()->first < best->lanes.begin()->first
                                    : a.seq < b.seq);
    if (better) best = flow;
  }
  if (best == nullptr) {
    if (wake) arm_rate_timer_locked(*wake);
    return std::nullopt;
  }
  Flow& flow = *best;
  auto lane = flow.lanes.begin();
  Taken taken{lane->first, lane->second.front().seq, std::move(lane->second.front().job), {}};
  taken.flow = &flow;
  lane->second.pop_front();
  if (lane->second.empty()) flow.lanes.erase(lane);
  if (--flow.queued == 0) {
    flow.active = false;
    std::erase(active_, &flow);
  }
  ++flow.in_flight;
  if (flow.settings.rate.on()) flow.tokens -= 1;
  virtual_pass_ = std::max(virtual_pass_, flow.pass);
  flow.pass += flow.stride;
  return taken;
}

void PriorityQueue::arm_rate_timer_locked(std::chrono::steady_clock::time_point deadline) {
  if (rate_deadline_ && *rate_deadline_ <= deadline) return;  // an earlier wake-up is set
  if (!rate_timer_) rate_timer_ = std::make_unique<boost::asio::steady_timer>(io_);
  rate_deadline_ = deadline;
  const auto now = clock_ ? clock_() : std::chrono::steady_clock::now();
  rate_timer_->expires_after(deadline > now ? deadline - now : std::chrono::nanoseconds(0));
  rate_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // re-armed earlier, or the queue goes away
    std::function<void()> callback;
    {
      std::lock_guard lock(mutex_);
      rate_deadline_.reset();
      callback = on_job_;
    }
    if (callback) callback();
  });
}

std::vector<PriorityQueue::Entry> PriorityQueue::remove_flow_locked(std::string_view pipeline) {
  std::vector<Entry> removed;
  const auto it = flows_.find(std::string(pipeline));
  if (it == flows_.end()) return removed;
  Flow& flow = *it->second;
  for (auto& [priority, lane] : flow.lanes) {
    for (auto& entry : lane) removed.push_back(std::move(entry));
  }
  flow.lanes.clear();
  flow.queued = 0;
  if (flow.active) {
    flow.active = false;
    std::erase(active_, &flow);
  }
  return removed;  // remove() adjusts the size
}

void PriorityQueue::enter_flow_mode_locked() {
  if (flow_mode_) return;
  flow_mode_ = true;
  // Lane by lane (priority order), front to back: each (pipeline, priority) keeps its order.
  for (auto& [priority, lane] : lanes_) {
    for (auto& entry : lane.entries) {
      Flow& flow = flow_locked(entry.job->pipeline());
      push_flow_locked(std::move(entry), priority, flow, false);
    }
    lane.entries.clear();
  }
  ready_.clear();
  lanes_.clear();
}

void PriorityQueue::set_scheduling(Scheduling mode) {
  std::lock_guard lock(mutex_);
  scheduling_ = mode;
  if (mode == Scheduling::kFair) enter_flow_mode_locked();
}

void PriorityQueue::set_flow(const std::string& pipeline, const FlowSettings& settings) {
  std::lock_guard lock(mutex_);
  if (settings.limited()) enter_flow_mode_locked();
  if (!flow_mode_) return;  // nothing to keep: the lane path knows no per-pipeline state
  Flow& flow = flow_locked(pipeline);
  const bool new_rate = settings.rate.count != flow.settings.rate.count ||
                        settings.rate.window != flow.settings.rate.window;
  flow.settings = settings;
  flow.stride = kStrideUnit / std::max<std::uint32_t>(settings.weight, 1);
  if (new_rate) {
    flow.tokens = settings.rate.count;  // a full bucket: the first `count` jobs go at once
    flow.refilled = clock_ ? clock_() : std::chrono::steady_clock::now();
  }
  if (flow.queued != 0) notify_job_locked();
}

void PriorityQueue::finished(Flow* flow) {
  if (flow == nullptr) return;
  std::lock_guard lock(mutex_);
  const bool was_capped = flow->capped();
  if (flow->in_flight > 0) --flow->in_flight;
  if (was_capped && flow->queued != 0) notify_job_locked();
}

void PriorityQueue::set_clock(Clock clock) {
  std::lock_guard lock(mutex_);
  clock_ = std::move(clock);
  for (auto& [name, flow] : flows_) flow->refilled = clock_ ? clock_() : flow->refilled;
}

std::size_t PriorityQueue::held_locked(const std::string& pipeline, std::size_t queued) const {
  const auto it = flows_.find(pipeline);
  if (queued == 0 || it == flows_.end()) return 0;
  const Flow& flow = *it->second;
  if (flow.capped()) return queued;
  if (!flow.settings.rate.on()) return 0;
  Flow probe;  // refilled on a copy of the bucket: a scrape must not move the flow's state
  probe.settings = flow.settings;
  probe.tokens = flow.tokens;
  probe.refilled = flow.refilled;
  refill(probe, clock_ ? clock_() : std::chrono::steady_clock::now());
  return probe.tokens < 1.0 ? queued : 0;
}

bool PriorityQueue::flow_mode() const {
  std::lock_guard lock(mutex_);
  return flow_mode_;
}

std::size_t PriorityQueue::flow_in_flight(std::string_view pipeline) const {
  std::lock_guard lock(mutex_);
  const auto it = flows_.find(std::string(pipeline));
  return it == flows_.end() ? 0 : it->second->in_flight;
}

}  // namespace coyote::host::jobs
