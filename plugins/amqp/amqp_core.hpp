// AmqpCore: one amqp pipeline's broker connection, owned by its I/O thread.
#pragma once

#include "amqp/ack_window.hpp"
#include "amqp/amqp_connection.hpp"
#include "amqp/amqp_settings.hpp"
#include "amqp/wire_format.hpp"
#include "common/backoff.hpp"
#include "common/wake_queue.hpp"

#include <coyote/sdk/completion.hpp>
#include <coyote/sdk/job.hpp>
#include <coyote/sdk/logger.hpp>
#include <coyote/sdk/queue.hpp>
#include <coyote/sdk/state.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace coyote::drivers::amqp {

/// Threads: the host's loop thread calls the public methods (through AmqpDriver and AmqpJob);
/// the I/O thread owns the rabbitmq-c connection and everything marked "I/O thread" below.
/// They meet in a WakeQueue of commands; what state() reports is kept in atomics and one mutex.
///
/// Channels on the connection: 1 publishes (confirm mode, mandatory), 2 consumes (basic.qos
/// with global=true, so every delivery on it counts against prefetch), 3 declares and counts
/// (a failed declare closes only that channel).
///
/// A job carries the epoch of the consume channel it came from. When the connection or that
/// channel is lost, the epoch ends: the broker puts the un-acked deliveries back in the queue,
/// the host queue is emptied of this pipeline's jobs (they would run twice), and acks that
/// arrive later for the old epoch are dropped.
class AmqpCore : public std::enable_shared_from_this<AmqpCore> {
 public:
  using Clock = std::chrono::steady_clock;

  AmqpCore(sdk::Queue& queue, sdk::Logger& log, GlobalSettings global, PipelineSettings settings,
           std::chrono::milliseconds push_timeout);
  ~AmqpCore();
  AmqpCore(const AmqpCore&) = delete;
  AmqpCore& operator=(const AmqpCore&) = delete;
  AmqpCore(AmqpCore&&) = delete;
  AmqpCore& operator=(AmqpCore&&) = delete;

  /// Starts the I/O thread, which connects in the background (never blocks the caller).
  void start();
  /// Stops consuming, waits (bounded) for outstanding confirms, deletes the queue when
  /// delete_queue_on_stop, closes the connection and joins the I/O thread. Idempotent.
  void shutdown();

  // --- host loop thread (the driver) ---
  /// Publishes `messages` and calls `done` once every publisher confirm is in (error: the first
  /// failed job's reason). Fails at once while the broker is unreachable.
  void publish(std::vector<sdk::Message> messages, sdk::Completion done);
  sdk::Status run();
  sdk::Status pause();
  sdk::Status resume();
  sdk::Status stop();
  [[nodiscard]] sdk::State state();

  // --- host loop thread (the jobs) ---
  sdk::Status settle_ack(std::uint64_t epoch, std::uint64_t tag, bool delayed);
  sdk::Status settle_nack(std::uint64_t epoch, std::uint64_t tag, bool requeue, bool delayed);
  /// A new copy through the publish path (delay queue when delay > 0), then the original is
  /// acked once the copy is confirmed, or nacked with requeue if the copy failed. `message` is
  /// moved from only when the call is accepted.
  sdk::Status settle_republish(std::uint64_t epoch, std::uint64_t tag, sdk::Message&& message,
                               std::string rr_pipeline, bool delayed);
  /// A job destroyed without an answer (the host removed it from its queue).
  void release(std::uint64_t epoch, std::uint64_t tag);

  [[nodiscard]] const PipelineSettings& settings() const noexcept { return settings_; }
  [[nodiscard]] bool stopped() const noexcept { return stopped_.load(); }

 private:
  struct PublishCmd {
    std::vector<sdk::Message> messages;
    sdk::Completion done;
  };
  struct AckCmd {
    std::uint64_t epoch;
    std::uint64_t tag;
  };
  struct NackCmd {
    std::uint64_t epoch;
    std::uint64_t tag;
    bool requeue;
  };
  struct RepublishCmd {
    std::uint64_t epoch;
    std::uint64_t tag;
    sdk::Message message;
    std::string rr_pipeline;
  };
  struct ConsumeCmd {
    bool on;
  };
  struct RoomCmd {};
  struct RefreshCmd {};
  struct StopCmd {};
  using Command = std::variant<PublishCmd, AckCmd, NackCmd, RepublishCmd, ConsumeCmd, RoomCmd,
                               RefreshCmd, StopCmd>;

  /// A publish waiting for its confirm (I/O thread).
  struct Pending {
    std::function<void(sdk::Status)> done;
    std::string rr_id;
    std::string routing_key;
    Clock::time_point deadline;
    bool delayed = false;
    std::string returned;  ///< non-empty: basic.return's reason (unroutable)
  };
  /// A delivery or a return whose content frames are still arriving (I/O thread).
  struct Incoming {
    enum class Kind { kNone, kDeliver, kReturn } kind = Kind::kNone;
    std::uint64_t tag = 0;
    bool redelivered = false;
    std::uint16_t reply_code = 0;
    std::string reply_text;
    std::string routing_key;
    std::uint64_t body_size = 0;
    bool have_header = false;
    DecodedJob decoded;
    std::string body;
  };
  enum class Link : int { kConnecting = 0, kConnected = 1, kDisconnected = 2, kStopped = 3 };

  // I/O thread
  void loop();
  void connect();
  void lose_connection(const std::string& reason);
  void handle(Command& command);
  void handle_disconnected(Command& command);
  void publish_one(sdk::Message message, const std::string& rr_pipeline,
                   std::function<void(sdk::Status)> done);
  sdk::Status ensure_delay_queue(const std::string& name, std::int64_t ms,
                                 const std::string& routing_key);
  bool ensure_control_channel();
  sdk::Status declare_topology();
  sdk::Status start_consumer();
  void stop_consumer();
  void retry_topology();
  void read_frames();
  void handle_frame(const amqp_frame_t& frame);
  void on_channel_closed(amqp_channel_t channel, const std::string& reason);
  void confirm(std::uint64_t tag, bool multiple, bool ok);
  void complete_incoming(Incoming& in);
  void insert_job(std::unique_ptr<sdk::Job> job);
  void offer_held();
  /// Sends the acks the window holds when enough have gathered, when the oldest has waited
  /// kAckDelay, or when `now` is forced (stop).
  void flush_acks(bool force = false);
  void drop_stale_jobs();
  void fail_pending(const std::string& reason);
  void refresh_stats();
  void timers(Clock::time_point now);
  void wait(Clock::time_point now);
  void finish_stop();
  void set_error(std::string text);
  void warn_decode(const std::vector<std::string>& warnings);

  // fixed at construction
  sdk::Queue& queue_;
  sdk::Logger& log_;
  const GlobalSettings global_;
  const PipelineSettings settings_;
  const std::chrono::milliseconds push_timeout_;
  const std::string prefix_;  // "amqp pipeline <name>: "
  /// Acks sent together: a quarter of the prefetch window, so the broker never waits for room.
  const std::size_t ack_batch_;

  common::WakeQueue<Command> commands_;
  std::thread thread_;

  // shared with state() and the host thread
  std::atomic<int> link_{static_cast<int>(Link::kConnecting)};
  std::atomic<bool> stopped_{false};
  std::atomic<std::int64_t> broker_ready_{0};
  std::atomic<std::int64_t> delayed_{0};
  std::atomic<std::int64_t> reserved_{0};
  std::atomic<bool> refresh_requested_{false};
  std::atomic<Clock::rep> last_refresh_{0};
  std::mutex error_mutex_;
  std::string error_;

  // host loop thread only
  bool running_ = false;
  bool shut_down_ = false;

  // I/O thread only
  std::unique_ptr<AmqpConnection> conn_;
  common::Backoff reconnect_backoff_;
  common::Backoff topology_backoff_;
  Clock::time_point next_connect_{};
  Clock::time_point disconnected_since_{};
  Clock::time_point next_topology_{};
  Clock::time_point last_rx_{};
  std::string last_connect_error_;
  bool ever_connected_ = false;
  bool want_consume_ = false;
  bool topology_ok_ = false;
  bool consumer_active_ = false;
  bool consume_channel_open_ = false;
  bool control_channel_open_ = false;
  bool stopping_ = false;
  bool exit_ = false;
  Clock::time_point stop_deadline_{};
  std::uint64_t epoch_ = 0;  // 0: no consume channel
  std::uint64_t next_epoch_ = 1;
  std::uint64_t next_seq_ = 1;
  std::map<std::uint64_t, Pending> pending_;
  Incoming incoming_deliver_;
  Incoming incoming_return_;
  AckWindow window_;
  Clock::time_point first_unflushed_{};  // when the oldest ack not yet sent was recorded
  Clock::time_point last_ack_{};         // when the host's last ack arrived
  Clock::time_point front_moved_{};      // when the window's front last settled
  std::deque<std::unique_ptr<sdk::Job>> held_;
  bool waiting_for_room_ = false;
  std::map<std::string, Clock::time_point> delay_queues_;  // name -> last declared
  std::uint64_t stale_acks_ = 0;
  std::uint64_t decode_warnings_ = 0;
  std::uint64_t foreign_messages_ = 0;
};

}  // namespace coyote::drivers::amqp
