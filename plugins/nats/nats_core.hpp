// NatsCore: one nats pipeline's connection, JetStream stream and shared durable consumer, and the
// two threads that talk to the server; shared by the driver and its jobs.
#pragma once

#include "nats/nats_options.hpp"

#include <coyote/sdk/completion.hpp>
#include <coyote/sdk/job.hpp>
#include <coyote/sdk/logger.hpp>
#include <coyote/sdk/message.hpp>
#include <coyote/sdk/queue.hpp>
#include <coyote/sdk/state.hpp>
#include <coyote/sdk/status.hpp>

#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace coyote::drivers::nats {

/// What a job needs to settle its broker message.
struct Delivery {
  std::uint64_t token = 0;       ///< key in the in-progress registry (0: not registered)
  std::string reply;             ///< the message's JetStream ack subject
  std::uint64_t stream_seq = 0;  ///< for delete_after_ack
  bool auto_acked = false;       ///< acked on receipt (job option auto_ack)
};

/// Threads:
/// - the host's loop calls push/run/pause/resume/stop/state and, through NatsJob, ack/term/
///   requeue/give_back; each only queues work or flips a flag (never a network call);
/// - the *consumer* thread connects, creates or checks the stream and the consumer (again after a
///   reconnect or when the server lost them), fetches batches from the shared durable pull
///   consumer while running and in flight < prefetch, answers early deliveries of delayed jobs
///   with a NAK carrying the remaining delay, and inserts jobs into the host queue;
/// - the *io* thread publishes (pushes and requeue copies, pipelined with asynchronous publish
///   acks), sends acks, terms and deletes, and keeps every job this host holds "in progress"
///   (+WPI) well before ack_wait runs out, so a long job is not redelivered elsewhere;
/// - cnats's own threads call the publish-ack and connection callbacks.
///
/// Every redelivery Coyote asks for (requeue, nack with requeue, a job given back unprocessed)
/// publishes a new copy and acks the original, so JetStream's delivery count of a message grows
/// only when nobody answered for it (a host crashed or lost its connection for longer than
/// ack_wait); those deliveries are added to X-Coyote-Attempt.
class NatsCore {
 public:
  NatsCore(NatsOptions options, sdk::Queue& queue, sdk::Logger& log);
  ~NatsCore();
  NatsCore(const NatsCore&) = delete;
  NatsCore& operator=(const NatsCore&) = delete;
  NatsCore(NatsCore&&) = delete;
  NatsCore& operator=(NatsCore&&) = delete;

  /// Starts the threads (connecting happens on them). `self` is this core's owner, handed to
  /// the jobs the consumer thread makes.
  void start(const std::shared_ptr<NatsCore>& self);

  void push(std::vector<sdk::Message> messages, sdk::Completion done);
  sdk::Status run();
  sdk::Status pause();
  sdk::Status resume();
  /// Stops consuming and starts the orderly close on the threads: jobs given back are
  /// republished, acks of jobs still running are waited for (up to 5s), then
  /// delete_stream_on_stop is applied. Returns at once.
  sdk::Status stop();
  /// stop(), then waits (bounded) for the threads and closes the connection. Idempotent.
  void shutdown();
  [[nodiscard]] sdk::State state();

  // Acknowledgements, from NatsJob on the host's loop. `message` is the job as it must be
  // redelivered (headers merged, delay set) for requeue and give_back.
  sdk::Status ack(const Delivery& delivery);
  sdk::Status term(const Delivery& delivery);
  sdk::Status requeue(const Delivery& delivery, sdk::Message message);
  /// The host dropped the job without an answer (pipeline stopped or destroyed): redeliver it.
  void give_back(const Delivery& delivery, sdk::Message message);

  [[nodiscard]] const NatsOptions& options() const noexcept { return options_; }

  // cnats callbacks (static trampolines in the .cpp forward here).
  void on_publish_ack(natsMsg* msg, const sdk::Status& status);
  void on_disconnected();
  void on_connected(bool reconnected);
  void on_async_error(const std::string& text);
  /// A message on the pull inbox: a delivery or a pull request's status.
  void on_pull_message(natsMsg* msg);
  void on_pull_closed();
  /// The server answered the ack or term sent with reply id `id`: it has processed it.
  void on_settle_confirmed(std::uint64_t id);

 private:
  using Clock = std::chrono::steady_clock;
  enum class OpKind { kPublish, kAck, kTerm, kRequeue };
  struct Op {
    OpKind kind = OpKind::kAck;
    Delivery delivery;
    std::vector<sdk::Message> messages;
    sdk::Completion done;
  };
  struct Pull {
    std::int64_t remaining = 0;  ///< messages the server may still deliver into this request
    Clock::time_point deadline{};
  };
  struct Held {
    std::string reply;
    Clock::time_point touched;
  };

  // consumer thread
  void consumer_loop();
  bool connect();
  sdk::Status ensure_stream_and_consumer();
  void refresh_info();
  void pull_more();
  /// A pull request ended; `pending` is the server's count of what it would still have
  /// delivered (-1: unknown).
  void close_pull(std::uint64_t id, std::int64_t pending);
  /// Registers a pull request for `batch` messages (under mutex_): its id, its credit.
  std::uint64_t open_pull_locked(std::int64_t batch, Clock::time_point now);
  /// The subject the server answers pull request `id` on.
  [[nodiscard]] std::string pull_reply(std::uint64_t id) const;
  /// A pull request's JSON, as the consumer thread sends it and as a "+NXT" ack carries it.
  [[nodiscard]] static std::string pull_request(std::int64_t batch);
  void deliver(natsMsg* msg);
  void insert(std::unique_ptr<sdk::Job> job);
  void drop_subscription();
  /// The stream or the consumer is gone: set them up again after a short pause.
  void setup_later();
  // io thread
  void io_loop();
  /// `may_pull`: the op is the batch's last ack, which may carry the next pull request.
  void execute(Op& op, bool may_pull);
  /// Runs a batch of ops; its last ack carries a pull request when there is room for one.
  void execute_all(std::deque<Op>& batch);
  /// Pushes may be published: the setup answered, or there is no connection to set up on (cnats
  /// buffers them until it reconnects, bounded by jobs.timeout).
  [[nodiscard]] bool publish_gate_open() const;
  void publish(std::vector<sdk::Message> messages, sdk::Completion done);
  void publish_one(sdk::Message message, std::function<void(sdk::Status)> done);
  void send(const std::string& subject, std::string_view data);
  /// An ack or term whose prefetch slot frees when the server answers it (see settle()).
  void send_confirmed(const std::string& subject, std::string_view data);
  /// Acks with "+NXT", asking for as many messages as this ack and every unconfirmed one before
  /// it free (the server processes them before the request, in order). False when no pull is
  /// due (the caller then sends a confirmed ack).
  bool send_ack_with_pull(const std::string& subject);
  void delete_message(std::uint64_t seq);
  void touch_held();
  void finish_close();

  sdk::Status settle(OpKind kind, const Delivery& delivery);
  /// False once the io thread has ended (the op is dropped).
  bool enqueue(Op op);
  [[nodiscard]] sdk::Status closed_error() const;
  void release_slot();
  /// release_slot()'s count, under mutex_; whether the consumer thread must be woken.
  bool release_slot_locked();
  /// Slots of acks the server never answered (lost on a reconnect), freed after a while.
  void release_unconfirmed_locked(Clock::time_point now);
  /// Free slots (of prefetch) before the consumer thread fetches again.
  [[nodiscard]] std::int64_t fetch_threshold() const;
  void set_error(std::string text);
  void clear_error(const char* recovered_what);
  [[nodiscard]] std::string error_text();
  [[nodiscard]] sdk::Status not_stored(const std::string& why);
  std::uint64_t hold(const std::string& reply);
  void unhold(std::uint64_t token);

  const NatsOptions options_;
  sdk::Queue& queue_;
  sdk::Logger& log_;
  std::weak_ptr<NatsCore> self_;

  // Connection objects: created by the consumer thread before `connection_ready_`, destroyed
  // by shutdown() after both threads have ended.
  natsConnection* conn_ = nullptr;
  jsCtx* js_ = nullptr;
  natsSubscription* pull_ = nullptr;  // async, on pull_inbox_.*: deliveries and statuses
  std::string pull_inbox_;
  std::string pull_subject_;  // $JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>
  natsSubscription* delete_replies_ = nullptr;
  std::string delete_inbox_;
  natsSubscription* settle_replies_ = nullptr;  // async, on settle_inbox_.*: acks confirmed
  std::string settle_inbox_;
  std::atomic<bool> connection_ready_{false};
  std::atomic<bool> connected_{false};
  std::atomic<bool> needs_setup_{true};
  std::atomic<bool> connect_failed_{false};  // the URL or the options are unusable
  /// The last stream/consumer setup: 0 not finished yet, 1 ready, 2 failed (error_ says why).
  /// Pushes wait for the first answer, and fail at once while it is "failed": a subject that
  /// belongs to another stream would otherwise store them where this pipeline never reads.
  std::atomic<int> setup_state_{0};
  std::deque<Op> deferred_;  // io thread only: pushes waiting for the setup's answer

  std::mutex mutex_;  // flags, error, counters, the op queue
  std::condition_variable consumer_cv_;
  std::condition_variable io_cv_;
  bool running_ = false;
  bool stopping_ = false;
  bool consumer_done_ = false;  // the consumer thread has ended (after stop)
  bool io_done_ = false;        // the io thread has drained and ended: nothing more is sent
  bool shut_down_ = false;
  std::deque<Op> ops_;
  bool urgent_ = false;         // an op that must not wait for the ack batching is queued
  std::int64_t in_flight_ = 0;  // jobs held, and settled ones the server has not confirmed
  /// Acks and terms sent and not yet confirmed, by reply id, with the time their slot is freed
  /// without an answer. Ids and times both grow, so the map is in deadline order too.
  std::map<std::uint64_t, Clock::time_point> unconfirmed_;
  std::uint64_t next_settle_ = 1;
  std::map<std::uint64_t, Pull> pulls_;           // open pull requests
  std::deque<std::unique_ptr<sdk::Job>> parked_;  // delivered while paused
  std::int64_t credit_ = 0;                       // messages requested, not received yet
  std::uint64_t next_pull_ = 1;
  bool pull_closed_ = false;
  Clock::time_point setup_not_before_{};
  std::string error_;
  std::int64_t info_ack_pending_ = 0;
  std::int64_t info_pending_ = 0;
  /// The consumer's ack floor (stream sequence) as last seen, and the stream incarnation it
  /// belongs to: a consumer the server lost is re-created from there.
  std::uint64_t ack_floor_ = 0;
  std::int64_t known_stream_created_ = 0;
  std::multimap<std::chrono::system_clock::time_point, int> delayed_due_;

  std::mutex held_mutex_;  // jobs this host holds, kept in progress
  std::unordered_map<std::uint64_t, Held> held_;
  std::uint64_t next_token_ = 1;

  std::mutex publish_mutex_;  // publishes waiting for their JetStream ack
  std::unordered_map<natsMsg*, std::function<void(sdk::Status)>> publishing_;
  std::atomic<std::int64_t> publishes_pending_{0};

  std::thread consumer_thread_;
  std::thread io_thread_;
  std::atomic<std::uint64_t> foreign_logged_{0};
};

}  // namespace coyote::drivers::nats
