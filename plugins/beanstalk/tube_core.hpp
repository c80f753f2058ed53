// TubeCore: one beanstalk pipeline's connections, reserved jobs and counters, run on its own
// thread so that no broker round trip ever runs on the host's loop.
#pragma once

#include "beanstalk/beanstalk_config.hpp"
#include "beanstalk/connection.hpp"

#include <coyote/sdk/completion.hpp>
#include <coyote/sdk/logger.hpp>
#include <coyote/sdk/message.hpp>
#include <coyote/sdk/queue.hpp>
#include <coyote/sdk/state.hpp>
#include <coyote/sdk/status.hpp>

#include <boost/asio/executor_work_guard.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace coyote::drivers::beanstalk {

/// What a worker's answer (or the host dropping a job) asks of a reserved job.
enum class Settle { kDelete, kRelease, kForget };

/// Connections, one role each (beanstalkd answers a connection's commands strictly in order, and
/// a reserve that waits for a job holds back everything sent after it):
/// - the producer: `use <tube>`, puts (pipelined), stats-tube for jobs.Stat, and the cleanup of
///   jobs whose consumer connection was lost;
/// - consumers: `watch <tube>`, reserves, stats-job, touch, delete, release. A job can be
///   deleted, released or touched only on the connection that reserved it. Reserves are sent as
///   `reserve-with-timeout 0`, pipelined up to `prefetch`, while the tube has jobs; when it runs
///   dry, one waiting `reserve-with-timeout <reserve_timeout>` is issued on a consumer that holds
///   no job (opening one if needed), so an acknowledgement never queues behind a waiting reserve.
///
/// Every reserved job is looked up with `stats-job`: its priority (kept on release), its TTR
/// (touched at about half of it while it is in the host, so beanstalkd never hands it to
/// another consumer while a worker runs it) and how often beanstalkd redelivered it without an
/// answer (counted into X-Coyote-Attempt).
///
/// Threading: the public methods are called on the host's loop thread and only post work to the
/// io thread (or read counters under a mutex); everything else runs on the io thread.
class TubeCore final : public std::enable_shared_from_this<TubeCore>, private Connection::Handler {
 public:
  struct Settings {
    std::string pipeline;
    std::int64_t pipeline_priority = 10;
    GlobalOptions global;
    TubeOptions tube;
  };

  TubeCore(sdk::Queue& queue, sdk::Logger& log, Settings settings);
  ~TubeCore() override;
  TubeCore(const TubeCore&) = delete;
  TubeCore& operator=(const TubeCore&) = delete;
  TubeCore(TubeCore&&) = delete;
  TubeCore& operator=(TubeCore&&) = delete;

  /// Starts the io thread and the producer connection. Called once, after construction.
  void start();
  /// Stops reserving, waits briefly for acknowledgements and puts in flight, closes every
  /// connection (beanstalkd releases the jobs still reserved) and joins the io thread; pushes
  /// not answered by then fail. Idempotent.
  void shutdown();

  void push(std::vector<sdk::Message> messages, sdk::Completion done);
  sdk::Status run();
  sdk::Status pause();
  sdk::Status resume();
  [[nodiscard]] sdk::State state();

  /// From a job (host loop thread): queue the job's final command. `message` is the job's
  /// message, needed when the job was auto-acked (deleted on receipt) and must be put again.
  sdk::Status settle(std::uint64_t ticket, Settle how, std::chrono::seconds delay,
                     sdk::Message message);
  /// Put a copy (merged headers, delay) and delete the original once beanstalkd holds the copy.
  sdk::Status requeue(std::uint64_t ticket, sdk::Message message, std::chrono::seconds delay);

  [[nodiscard]] const std::string& tube() const noexcept { return settings_.tube.tube; }
  [[nodiscard]] const std::string& pipeline() const noexcept { return settings_.pipeline; }

 private:
  struct Batch {
    sdk::Completion done;
    std::size_t left = 0;
    std::size_t first_failed = SIZE_MAX;
    sdk::Status first_error;
  };
  struct Put {
    std::string body;
    std::string job_id;
    std::uint32_t pri = 0;
    std::uint32_t delay = 0;
    Clock::time_point deadline;
    std::shared_ptr<Batch> batch;  ///< null for a requeue's copy
    std::size_t index = 0;
    std::uint64_t requeue_of = 0;  ///< the ticket of the job this put replaces, 0 if none
    std::chrono::seconds requeue_delay{0};
  };
  enum class Phase {
    kStats,    ///< reserved, waiting for its stats-job reply
    kRoom,     ///< waiting for room in the host queue
    kHost,     ///< in the host (queued or running on a worker)
    kRequeue,  ///< its copy is being put; still reserved (and touched) until that is confirmed
    kSettling  ///< delete/release sent, waiting for the reply
  };
  struct Held {
    std::uint64_t id = 0;           ///< beanstalkd job id
    std::uint64_t conn_serial = 0;  ///< the consumer connection that reserved it
    std::uint32_t pri = 0;
    std::chrono::milliseconds touch_every{1000};
    Clock::time_point next_touch;
    Phase phase = Phase::kStats;
    bool auto_acked = false;
    bool settling_delete = false;  ///< kSettling: the command sent was a delete
    std::size_t body_hash = 0;
    std::string body;               ///< kept until the job is built (kStats)
    std::unique_ptr<sdk::Job> job;  ///< kRoom: the job waiting for room
  };
  struct Consumer {
    std::shared_ptr<Connection> conn;
    std::size_t held = 0;      ///< jobs still needing a command on this connection
    std::size_t reserves = 0;  ///< reserve commands without reply
    bool blocking = false;     ///< one of them waits for a job
    Clock::time_point no_reserve_until{};
    Clock::time_point idle_since{};
    bool connected = false;
  };
  /// A job answered after its consumer connection was lost: deleted from the producer
  /// connection if beanstalkd still has it ready under the same id with the same body.
  struct Orphan {
    std::uint64_t id = 0;
    std::size_t body_hash = 0;
    std::string job_id;
    Clock::time_point since;
  };
  struct Backoff {
    int attempts = 0;
    Clock::time_point down_since{};
    std::string error;
  };
  struct PushRequest {
    std::vector<sdk::Message> messages;
    sdk::Completion done;
  };
  /// An acknowledgement from the host; requeue when `requeue` is set.
  struct SettleRequest {
    std::uint64_t ticket = 0;
    Settle how = Settle::kDelete;
    bool requeue = false;
    std::chrono::seconds delay{0};
    sdk::Message message;
  };
  /// Corks the producer and every consumer for a burst of commands from one handler.
  class Corked {
   public:
    explicit Corked(TubeCore& core);
    ~Corked();
    Corked(const Corked&) = delete;
    Corked& operator=(const Corked&) = delete;
    Corked(Corked&&) = delete;
    Corked& operator=(Corked&&) = delete;

   private:
    std::vector<std::shared_ptr<Connection>> conns_;
  };

  // Connection::Handler (io thread)
  void on_connected(Connection& connection) override;
  void on_reply(Connection& connection, const Pending& pending,
                const protocol::Reply& reply) override;
  void on_down(Connection& connection, const std::string& error, std::deque<Pending> lost) override;

  // io thread
  void drain_inbox();
  /// Caller holds inbox_mutex_.
  void post_inbox_locked();
  void submit(std::vector<sdk::Message> messages, sdk::Completion done);
  std::uint32_t broker_priority(std::int64_t job_priority) const;
  void send_put(std::uint64_t tag);
  void finish_put(std::uint64_t tag, const sdk::Status& status);
  static void complete(const std::shared_ptr<Batch>& batch, std::size_t index,
                       const sdk::Status& status);
  void on_producer_reply(const Pending& pending, const protocol::Reply& reply);
  void on_consumer_reply(Consumer& consumer, const Pending& pending, const protocol::Reply& reply);
  void on_reserved(Consumer& consumer, const protocol::Reply& reply);
  void on_job_stats(Consumer& consumer, std::uint64_t ticket, const protocol::Reply& reply);
  void offer(std::uint64_t ticket);
  void drain_room();
  void send_final(std::uint64_t ticket, Settle how, std::chrono::seconds delay);
  void do_settle(std::uint64_t ticket, Settle how, std::chrono::seconds delay,
                 const sdk::Message& message);
  void do_requeue(std::uint64_t ticket, sdk::Message message, std::chrono::seconds delay);
  void pump();
  void open_consumer();
  void connect_producer();
  void schedule_reconnect(bool producer);
  void set_running(bool running);
  void release_waiting();
  void drop_consumer_jobs(std::uint64_t serial);
  void clean_up_orphan(Orphan orphan);
  void tick();
  void request_tube_stats();
  void begin_stop();
  [[nodiscard]] bool stop_pending() const;
  void wait_then_stop();
  void finish_stop();
  static void drop_job(Held& h);
  Consumer* consumer_of(std::uint64_t serial);
  void note_down(Backoff& backoff, const char* role, const std::string& error);
  void note_up(Backoff& backoff, const char* role);
  std::chrono::milliseconds next_delay(const Backoff& backoff);
  void update_error();

  sdk::Queue& queue_;
  sdk::Logger& log_;
  const Settings settings_;
  const std::uint32_t ttr_;

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  asio::steady_timer tick_timer_;
  asio::steady_timer producer_retry_;
  asio::steady_timer consumer_retry_;
  asio::steady_timer stop_timer_;
  Clock::time_point stop_deadline_{};
  std::minstd_rand rng_;
  std::uint64_t next_serial_ = 1;

  // Host side.
  std::atomic<bool> host_running_{false};
  std::atomic<bool> accepting_{true};
  std::mutex inbox_mutex_;
  // Host-to-io work, gathered so that a burst of pushes or acknowledgements costs one wake-up
  // of the io thread and leaves in one write per connection.
  std::vector<PushRequest> inbox_;
  std::vector<SettleRequest> settles_;
  bool inbox_posted_ = false;
  bool shut_down_ = false;

  // io thread.
  std::shared_ptr<Connection> producer_;
  Backoff producer_backoff_;
  bool producer_retry_pending_ = false;
  std::size_t max_job_size_ = 0;
  std::list<Consumer> consumers_;
  Backoff consumer_backoff_;
  bool consumer_connecting_ = false;
  bool consumer_retry_pending_ = false;
  bool running_ = false;
  bool stopping_ = false;
  bool tube_hot_ = true;
  std::unordered_map<std::uint64_t, Put> puts_;
  std::deque<std::uint64_t> unsent_;
  std::uint64_t next_put_ = 1;
  std::unordered_map<std::uint64_t, Held> held_;
  std::uint64_t next_ticket_ = 1;
  std::deque<std::uint64_t> room_wait_;
  bool waiting_for_room_ = false;
  std::size_t pre_host_ = 0;
  std::size_t in_host_ = 0;
  std::size_t reserves_out_ = 0;
  std::unordered_map<std::uint64_t, Orphan> orphans_;  // peek or delete sent
  std::deque<Orphan> orphans_waiting_;                 // for the producer connection
  std::uint64_t next_orphan_ = 1;
  bool tube_stats_outstanding_ = false;
  Clock::time_point tube_stats_sent_{};
  Clock::time_point traced_at_{};

  // Counters for jobs.Stat, written on the io thread, read by state().
  std::mutex state_mutex_;
  protocol::TubeStats counts_;
  Clock::time_point counts_at_{};
  bool refresh_posted_ = false;
  std::string error_;
};

}  // namespace coyote::drivers::beanstalk
