// Connection: one hiredis asynchronous connection driven by the driver's own asio loop, with
// its handshake, reply deadlines and endless reconnects.
#pragma once

#include "redis/backoff.hpp"
#include "redis/endpoint.hpp"

#include <coyote/sdk/logger.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

struct redisAsyncContext;
struct redisReply;

namespace coyote::drivers::redis {

struct ConnectionSettings {
  Endpoint endpoint;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds command_timeout{10000};
  std::chrono::milliseconds reconnect_max{5000};
  std::string client_name;  ///< CLIENT SETNAME, so operators can tell the connections apart
  std::string role;         ///< for logs: "commands", "reader for pipeline x"
};

/// Everything runs on the loop thread that owns the io_context; no method is thread-safe.
///
/// Commands submitted while the connection is down wait (in order) until it is ready again or
/// command_timeout passes. A command whose reply does not arrive within command_timeout (plus
/// the wait a blocking command asked for) resets the connection: hiredis 0.14 has no timeouts
/// of its own, and a half-open TCP connection would otherwise stall a pipeline forever.
/// Every callback is called exactly once: with the reply, or with nullptr and the reason.
/// A nullptr reply means the command may or may not have run on the server.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Clock = std::chrono::steady_clock;
  /// `reply` is valid only during the call; nullptr when there is none (`error` says why).
  using Callback = std::function<void(const redisReply* reply, const std::string& error)>;

  static std::shared_ptr<Connection> create(boost::asio::io_context& io,
                                            ConnectionSettings settings, sdk::Logger& log);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Connection(Connection&&) = delete;
  Connection& operator=(Connection&&) = delete;

  /// Starts connecting (and keeps reconnecting until shutdown).
  void start();
  /// Sends `wire` (a RespCommand's bytes) now when ready, else queues it. `extra_wait` extends
  /// the reply deadline for a blocking command (XREADGROUP BLOCK, WAIT).
  void submit(std::string wire, Callback done,
              std::chrono::milliseconds extra_wait = std::chrono::milliseconds(0));
  /// Stops reconnecting; replies still due are awaited (within their deadlines), then the
  /// connection closes. Queued commands that were never sent fail.
  void shutdown();
  /// Closes at once: every outstanding callback gets nullptr.
  void abort(const std::string& reason);

  [[nodiscard]] bool ready() const noexcept { return state_ == State::kReady; }
  [[nodiscard]] bool closed() const noexcept { return state_ == State::kClosed; }
  /// Commands sent and not answered, plus those queued.
  [[nodiscard]] std::size_t outstanding() const noexcept { return sent_.size() + backlog_.size(); }
  /// Why the last attempt failed (empty once connected).
  [[nodiscard]] const std::string& last_error() const noexcept { return last_error_; }
  [[nodiscard]] const ConnectionSettings& settings() const noexcept { return settings_; }

  /// Called (posted) every time the connection becomes ready, after the handshake.
  void set_on_ready(std::function<void()> callback) { on_ready_ = std::move(callback); }
  /// Called (posted) every time a connection is lost or an attempt fails, with the reason.
  void set_on_down(std::function<void(const std::string&)> callback) {
    on_down_ = std::move(callback);
  }

 private:
  enum class State { kIdle, kConnecting, kHandshake, kReady, kWaiting, kClosed };
  struct Queued {
    std::string wire;
    Callback done;
    Clock::time_point expires;
    std::chrono::milliseconds extra_wait;
  };
  struct Pending;

  Connection(boost::asio::io_context& io, ConnectionSettings settings, sdk::Logger& log);

  void connect();
  void handshake();
  void become_ready();
  void send(std::string wire, Callback done, std::chrono::milliseconds extra_wait);
  void context_gone(const std::string& reason);
  void schedule_reconnect();
  void fail_backlog(const std::string& reason);
  void arm_watchdog();
  void watchdog();
  void arm_read();
  void arm_write();
  [[nodiscard]] std::string lost_reason() const;

  static void hook_add_read(void* self);
  static void hook_del_read(void* self);
  static void hook_add_write(void* self);
  static void hook_del_write(void* self);
  static void hook_cleanup(void* self);
  static void on_connected(const redisAsyncContext* ac, int status);
  static void on_disconnected(const redisAsyncContext* ac, int status);
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);

  boost::asio::io_context& io_;
  ConnectionSettings settings_;
  sdk::Logger& log_;
  State state_ = State::kIdle;
  bool closing_ = false;

  redisAsyncContext* ac_ = nullptr;
  std::unique_ptr<boost::asio::posix::stream_descriptor> descriptor_;
  std::uint64_t generation_ = 0;  // bumps per context, so stale asio waits do nothing
  bool want_read_ = false;
  bool want_write_ = false;
  bool read_armed_ = false;
  bool write_armed_ = false;

  std::deque<Queued> backlog_;
  std::deque<Clock::time_point> sent_;  // reply deadlines, oldest first (replies come in order)
  Clock::time_point connect_deadline_{};
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::steady_timer watchdog_timer_;
  bool watchdog_armed_ = false;

  Backoff backoff_;
  std::string last_error_;
  std::string down_reason_;  // set by us before we close a context (timeouts, handshake errors)
  Clock::time_point down_since_{};
  std::string logged_error_;  // last failure text logged, to log changes rather than repeats
  Clock::time_point logged_at_{};

  std::function<void()> on_ready_;
  std::function<void(const std::string&)> on_down_;
};

}  // namespace coyote::drivers::redis
