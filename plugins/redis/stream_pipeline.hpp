// StreamPipeline: one redis pipeline — a stream, its consumer group and its delayed set.
#pragma once

#include "redis/backoff.hpp"
#include "redis/connection.hpp"
#include "redis/entry_codec.hpp"
#include "redis/lua_scripts.hpp"
#include "redis/options.hpp"

#include <coyote/sdk/completion.hpp>
#include <coyote/sdk/logger.hpp>
#include <coyote/sdk/message.hpp>
#include <coyote/sdk/queue.hpp>
#include <coyote/sdk/state.hpp>
#include <coyote/sdk/status.hpp>

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

namespace coyote::drivers::redis {

class RedisClient;
class LoopGate;

/// What the host decided for a delivered job, queued from its loop to the client thread.
struct Settlement {
  enum class Kind { kAck, kRequeue, kGiveBack };
  Kind kind;
  std::string entry_id;
  bool auto_acked = false;  ///< the entry was acked on receipt: only a requeue touches Redis
  sdk::Message message;     ///< for kRequeue and kGiveBack
  std::chrono::milliseconds delay{0};
};

/// Flow: push → XADD (or the delayed set) → XREADGROUP on this pipeline's reader, at most
/// `prefetch` jobs delivered to this host and not yet settled → host queue → worker → ack
/// (MULTI XACK XDEL EXEC, batched) or requeue (schedule script). Entries delivered to this host
/// are kept alive by a heartbeat (XCLAIM JUSTID every claim_idle/3); entries of a silent host
/// go idle and are reclaimed (reclaim script) by any host after claim_idle.
///
/// Threads: push/push_batch/run/pause/resume/stop/state/settle are called on the host's loop
/// and only post work or read a snapshot under a mutex; everything else runs on the client's
/// thread. Shared (std::shared_ptr) because jobs and posted work outlive the driver.
class StreamPipeline : public std::enable_shared_from_this<StreamPipeline> {
 public:
  using Clock = std::chrono::steady_clock;

  StreamPipeline(RedisClient& client, StreamOptions options, sdk::Queue& queue);
  ~StreamPipeline();
  StreamPipeline(const StreamPipeline&) = delete;
  StreamPipeline& operator=(const StreamPipeline&) = delete;
  StreamPipeline(StreamPipeline&&) = delete;
  StreamPipeline& operator=(StreamPipeline&&) = delete;

  // Host loop thread.
  void push(sdk::Message message, sdk::Completion done);
  void push_batch(std::vector<sdk::Message> messages, sdk::Completion done);
  sdk::Status run();
  sdk::Status pause();
  sdk::Status resume();
  sdk::Status stop();
  [[nodiscard]] sdk::State state();
  /// Any thread (the host loop, or the client thread when a refused job is destroyed).
  void settle(Settlement settlement);

  // Client thread.
  void tick(Clock::time_point now);
  /// The client is gone (its thread joined): drops everything bound to its loop. Later pushes
  /// fail, later acknowledgements are dropped (the entries stay pending, reclaimed in time).
  void detach();

  [[nodiscard]] const StreamOptions& options() const noexcept { return options_; }

 private:
  struct Delivery {
    std::string entry_id;
    sdk::Message message;
    bool auto_acked = false;
  };
  struct Counts {
    std::int64_t waiting = 0;  // in the stream, not delivered to the group yet
    std::int64_t pending = 0;  // delivered to some consumer, not acked
    std::int64_t delayed = 0;  // in the delayed set
  };
  /// One push, prepared on the host loop: an XADD, or the schedule script's arguments.
  struct PushItem {
    bool delayed = false;
    std::string wire;
    std::vector<std::string> script_args;
  };
  using Reply = const redisReply*;
  using ScriptDone = std::function<void(Reply, const std::string&)>;

  // Commands (built on any thread).
  [[nodiscard]] PushItem prepare_push(sdk::Message& message) const;
  [[nodiscard]] std::string xadd_wire(const Fields& fields) const;
  [[nodiscard]] std::vector<std::string> schedule_args(const std::string& entry_id,
                                                       std::chrono::milliseconds delay,
                                                       const Fields& fields) const;
  template <typename Work>
  bool post(Work work);
  // Client thread.
  void eval(const LuaScript& script, std::vector<std::string> keys_and_args, std::size_t keys,
            ScriptDone done);
  void submit_pushes(std::vector<PushItem> items, sdk::Completion done);
  sdk::Status push_outcome(Reply reply, const std::string& error, bool delayed);
  void on_acked(const std::vector<std::string>& ids, Reply reply, const std::string& error);
  void start_consuming();
  void stop_consuming();
  void give_back_held();
  void ensure_group();
  void maybe_read();
  void on_read(Reply reply, const std::string& error);
  void deliver(Delivery delivery);
  bool offer(Delivery& delivery);
  void release_held();
  void drain_inbox();
  void apply(Settlement settlement);
  void flush_acks();
  void schedule(Settlement settlement);
  void heartbeat();
  void reclaim();
  void move_due();
  void refresh_counts();
  void collect_consumers();
  void report(const std::string& kind, const std::string& message, Clock::time_point now);
  void update_errors();
  void adjust(std::int64_t waiting, std::int64_t pending, std::int64_t delayed);
  [[nodiscard]] std::string explain(Reply reply) const;

  RedisClient& client_;  // used on the client's thread only (and before detach)
  std::shared_ptr<LoopGate> gate_;
  const StreamOptions options_;
  sdk::Queue& queue_;
  sdk::Logger& log_;
  const std::string address_;           // redis.addr for messages, password masked
  std::shared_ptr<Connection> conn_;    // a pool connection: pushes, acks, scripts, counts
  std::shared_ptr<Connection> reader_;  // this pipeline's own: XREADGROUP

  // Host loop thread only.
  bool host_consuming_ = false;
  bool host_paused_ = false;
  bool host_stopped_ = false;

  // Client thread only.
  bool consuming_ = false;
  bool paused_ = false;
  bool stopped_ = false;
  // Assumed to exist until a read says NOGROUP: under maxmemory XGROUP CREATE is refused even
  // for a group that exists, while XREADGROUP still works.
  bool group_ready_ = true;
  bool group_checked_ = false;  // created (or found) once since start
  bool group_creating_ = false;
  bool reading_ = false;
  bool waiting_room_ = false;
  std::int64_t in_flight_ = 0;  // delivered to this host (held or in the host) and not settled
  std::deque<Delivery> held_;   // delivered, waiting for room in the host queue (or resume)
  std::unordered_set<std::string> owned_;  // entry ids delivered here and not settled in Redis
  std::vector<std::string> acks_;          // entry ids to XACK on the next flush
  std::vector<Settlement> retry_;          // settlements to send again (no reply / transient)
  Backoff read_backoff_;
  std::unique_ptr<boost::asio::steady_timer> settle_timer_;  // coalesces acks into batches
  Clock::time_point read_retry_at_{};
  Clock::time_point group_retry_at_{};
  Clock::time_point retry_at_{};
  Clock::time_point next_counts_{};
  Clock::time_point next_heartbeat_{};
  Clock::time_point next_reclaim_{};
  Clock::time_point next_move_{};
  Clock::time_point next_consumer_gc_{};
  bool counts_running_ = false;
  bool reclaim_running_ = false;
  bool move_running_ = false;
  std::string reclaim_cursor_ = "0-0";
  std::string reader_error_;
  std::string settle_error_;
  std::string counts_error_;
  struct Logged {
    std::string message;
    Clock::time_point at{};
  };
  std::map<std::string, Logged> logged_;

  // Shared with the host loop.
  std::mutex inbox_mutex_;
  std::vector<Settlement> inbox_;
  bool inbox_posted_ = false;
  mutable std::mutex state_mutex_;
  Counts counts_;
  std::string error_;       // what state() reports
  std::string push_error_;  // the last push refusal, until a push succeeds (or it is old)
  Clock::time_point push_error_until_{};
};

}  // namespace coyote::drivers::redis
