// PriorityQueue: the bounded, thread-safe job queue drivers insert into and the dispatcher drains.
#pragma once

#include "jobs/flow_settings.hpp"

#include <coyote/sdk/queue.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace coyote::host::jobs {

/// Lower priority() first; FIFO among equal priorities (unlike RoadRunner's heap). Drivers may
/// call every sdk::Queue method from any thread; take/restore and set_on_job are for the
/// dispatcher on the loop thread.
///
/// One FIFO lane per distinct priority: a take is a pop from the front of the lowest non-empty
/// lane, O(1) however many jobs wait (a binary heap over 100 000 jobs cost ~17 cache-missing
/// levels per take). The non-empty lanes are indexed by a min-heap of their own, so neither take
/// nor insert ever walks the lanes: with 50 000 distinct priorities a scan of the (mostly empty)
/// lanes per take, and a prune per new lane, made the loop quadratic (a Resume held it 17 s).
/// Applications use a handful of priorities; empty lanes are kept for reuse (no allocation when
/// a lane empties and refills) and pruned only once they are the majority, so a prune's cost is
/// paid for by the lanes that emptied since the last one.
///
/// Wake-ups never run under the lock: "a job arrived" and on_room callbacks are posted to the
/// io_context. At most one "job arrived" post is pending at a time (the dispatcher drains the
/// queue on each one), so a burst of inserts costs one wake-up, not one per job.
///
/// Flow mode (jobs.pool.scheduling: fair, or a pipeline with max_concurrency / rate_limit): the
/// jobs wait in one flow per pipeline instead (each with its own priority lanes, FIFO among equal
/// priorities), and take() picks among the flows that may start a job now: under `fair` the one
/// with the lowest stride pass (pass += 2^32 / weight per job taken; a flow that was idle starts
/// at the current pass, so it banks no credit and cannot starve the others later), under
/// `priority` the one whose front job has the lowest priority. A capped flow is skipped, so its
/// waiting jobs never block another pipeline's. That costs one step per non-empty pipeline per
/// take; pools without these options never enter flow mode and keep the lane path above.
/// Entering it is one-way (a pipeline declared later with a cap moves the queued jobs over).
///
/// Lifetime: posted handlers capture `this`; destroy the queue only after the io_context has
/// stopped running them.
class PriorityQueue final : public sdk::Queue {
 public:
  /// One pipeline's jobs and counters in flow mode (defined in the .cpp).
  struct Flow;
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  /// A job taken out by the dispatcher, with the ordering key it had so that restore() can put
  /// it back exactly where it was.
  struct Taken {
    std::int64_t priority = 0;
    std::uint64_t seq = 0;
    std::unique_ptr<sdk::Job> job;
    std::chrono::steady_clock::time_point enqueued;  ///< when it was inserted
    Flow* flow = nullptr;  ///< flow mode: hand it back to finished() when the job is done
  };

  /// What one pipeline has waiting in this queue (for metrics).
  struct PipelineLoad {
    std::size_t queued = 0;
    std::chrono::steady_clock::time_point oldest;  ///< insertion time of the oldest; 0 if none
    /// Flow mode: queued jobs its max_concurrency or rate_limit holds back right now.
    std::size_t held = 0;
  };

  PriorityQueue(boost::asio::io_context& io, std::size_t capacity);
  ~PriorityQueue() override;
  PriorityQueue(const PriorityQueue&) = delete;
  PriorityQueue& operator=(const PriorityQueue&) = delete;

  bool try_insert(std::unique_ptr<sdk::Job>& job) override;
  bool insert(std::unique_ptr<sdk::Job>& job, std::chrono::milliseconds timeout) override;
  void on_room(std::function<void()> callback) override;
  std::vector<std::unique_ptr<sdk::Job>> remove(std::string_view pipeline) override;
  [[nodiscard]] std::size_t size() const override;
  [[nodiscard]] std::size_t capacity() const override { return capacity_; }

  /// Loop thread: the callback that runs (posted) after jobs arrive. Set once, before use.
  void set_on_job(std::function<void()> callback);
  /// Loop thread: the next job to run, or nullopt when empty.
  std::optional<Taken> take();
  /// Loop thread: undoes a take() whose job could not be dispatched. May exceed the capacity by
  /// the few jobs being dispatched at that moment.
  void restore(Taken taken);

  /// Loop thread, before use or between takes: the pool's scheduling mode.
  void set_scheduling(Scheduling mode);
  /// Loop thread: a pipeline's weight and caps (at start and on declare). Enters flow mode when
  /// the pool is `fair` or the settings cap the pipeline.
  void set_flow(const std::string& pipeline, const FlowSettings& settings);
  /// Loop thread: the job a take() returned with `flow` finished (answered, failed or dropped):
  /// frees its concurrency slot (and wakes the dispatcher if that unblocks the pipeline).
  void finished(Flow* flow);
  /// Tests: the clock rate limits read (default steady_clock::now).
  void set_clock(Clock clock);
  [[nodiscard]] bool flow_mode() const;
  /// A pipeline's jobs in flight as the queue counts them (flow mode; 0 otherwise).
  [[nodiscard]] std::size_t flow_in_flight(std::string_view pipeline) const;

  /// Lanes visited by whole-lane walks (pruning, remove) since construction: a complexity probe
  /// for the tests. take() and insert never walk lanes.
  [[nodiscard]] std::uint64_t lane_steps() const;
  /// Lanes held, empty ones included.
  [[nodiscard]] std::size_t lanes() const;

  /// Any thread: calls `visit(pipeline, load)` for every pipeline that has had a job in the queue
  /// since it was last removed(), under the queue's lock (so `visit` must be quick and must not
  /// call the queue). Costs one step per pipeline, however many jobs wait.
  template <typename Visit>
  void visit_loads(Visit&& visit) const {
    std::lock_guard lock(mutex_);
    for (const auto& [pipeline, tally] : tallies_) {
      PipelineLoad load = load_of(tally);
      if (flow_mode_) load.held = held_locked(pipeline, load.queued);
      visit(std::string_view(pipeline), load);
    }
  }

 private:
  struct Entry {
    std::uint64_t seq;  ///< insertion order, to return removed jobs oldest first
    std::unique_ptr<sdk::Job> job;
  };
  struct Lane {
    std::int64_t priority = 0;
    std::deque<Entry> entries;
  };
  /// The order of ready_: a min-heap on priority.
  struct LaterLane {
    bool operator()(const Lane* a, const Lane* b) const noexcept {
      return a->priority > b->priority;
    }
  };

  using Stamp = std::chrono::steady_clock::time_point;
  /// One pipeline's jobs in the queue. Within a lane jobs leave in insertion order, so within
  /// one (pipeline, priority) they do too: the insertion times of its queued jobs are a FIFO per
  /// priority, whose front is the job a take() from that lane returns (its wait time) and the
  /// minimum of whose fronts is the pipeline's oldest job. 8 bytes per queued job.
  struct Tally {
    std::size_t queued = 0;
    std::map<std::int64_t, std::deque<Stamp>> stamps;  // by priority
  };

  Tally& tally_locked(const std::string& pipeline);
  [[nodiscard]] static PipelineLoad load_of(const Tally& tally);
  [[nodiscard]] std::size_t held_locked(const std::string& pipeline, std::size_t queued) const;

  Lane& lane_locked(std::int64_t priority);
  void prune_lanes_locked();
  /// A lane that just got its first entry joins the index.
  void index_locked(Lane& lane);
  void push_locked(std::unique_ptr<sdk::Job>& job);
  void notify_job_locked();
  void release_room_locked();

  // Flow mode (see the class comment).
  Flow& flow_locked(const std::string& pipeline);
  void enter_flow_mode_locked();
  void push_flow_locked(Entry entry, std::int64_t priority, Flow& flow, bool at_front);
  std::optional<Taken> take_flow_locked();
  void arm_rate_timer_locked(std::chrono::steady_clock::time_point deadline);
  std::vector<Entry> remove_flow_locked(std::string_view pipeline);

  boost::asio::io_context& io_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable room_cv_;
  std::map<std::int64_t, Lane> lanes_;  ///< every lane (nodes are stable: ready_ points in)
  std::vector<Lane*> ready_;            ///< the non-empty lanes, a min-heap (LaterLane)
  std::size_t size_ = 0;
  std::uint64_t next_seq_ = 0;
  std::uint64_t lane_steps_ = 0;
  std::function<void()> on_job_;
  bool job_notice_pending_ = false;
  std::vector<std::function<void()>> room_waiters_;
  std::unordered_map<std::string, Tally> tallies_;
  // Consecutive jobs mostly belong to the same pipeline: one string comparison instead of a hash.
  std::string last_pipeline_;
  Tally* last_tally_ = nullptr;

  Scheduling scheduling_ = Scheduling::kPriority;
  bool flow_mode_ = false;
  std::unordered_map<std::string, std::unique_ptr<Flow>> flows_;  ///< never erased: jobs point in
  std::vector<Flow*> active_;                                     ///< the flows with queued jobs
  std::uint64_t virtual_pass_ = 0;
  Flow* last_flow_ = nullptr;
  Clock clock_;
  std::unique_ptr<boost::asio::steady_timer> rate_timer_;
  std::optional<std::chrono::steady_clock::time_point> rate_deadline_;
};

}  // namespace coyote::host::jobs
