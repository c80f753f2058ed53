#include "redis/connection.hpp"

#include "redis/reply_error.hpp"
#include "redis/resp_command.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <boost/asio/post.hpp>

#include <utility>

namespace coyote::drivers::redis {

namespace asio = boost::asio;
using namespace std::chrono_literals;

struct Connection::Pending {
  Callback done;
};

namespace {

constexpr auto kWatchdogPeriod = 200ms;
constexpr auto kRepeatLogEvery = 30s;

std::string ms_text(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

}  // namespace

std::shared_ptr<Connection> Connection::create(asio::io_context& io, ConnectionSettings settings,
                                               sdk::Logger& log) {
  return std::shared_ptr<Connection>(new Connection(io, std::move(settings), log));
}

Connection::Connection(asio::io_context& io, ConnectionSettings settings, sdk::Logger& log)
    : io_(io),
      settings_(std::move(settings)),
      log_(log),
      reconnect_timer_(io),
      watchdog_timer_(io),
      backoff_(settings_.reconnect_max) {}

Connection::~Connection() {
  closing_ = true;
  if (ac_ != nullptr) {
    down_reason_ = "connection closed";
    // Runs every pending callback with nullptr, then the cleanup hook (which forgets ac_).
    redisAsyncFree(ac_);
  }
  for (auto& q : backlog_) {
    if (q.done) q.done(nullptr, "connection closed before the command was sent");
  }
  backlog_.clear();
}

void Connection::start() {
  if (state_ != State::kIdle) return;
  arm_watchdog();
  connect();
}

void Connection::connect() {
  if (closing_) return;
  state_ = State::kConnecting;
  down_reason_.clear();
  connect_deadline_ = Clock::now() + settings_.connect_timeout;
  const Endpoint& ep = settings_.endpoint;
  // Name resolution inside redisAsyncConnect blocks this (the driver's own) thread, never the
  // host's loop.
  redisAsyncContext* ac = ep.is_unix() ? redisAsyncConnectUnix(ep.unix_path.c_str())
                                       : redisAsyncConnect(ep.host.c_str(), ep.port);
  if (ac == nullptr) {
    context_gone("cannot allocate a hiredis context");
    return;
  }
  if (ac->err != 0) {
    std::string why = ac->errstr;
    redisAsyncFree(ac);
    context_gone(why);
    return;
  }
  ac_ = ac;
  ++generation_;
  ac->data = this;
  ac->ev.data = this;
  ac->ev.addRead = &hook_add_read;
  ac->ev.delRead = &hook_del_read;
  ac->ev.addWrite = &hook_add_write;
  ac->ev.delWrite = &hook_del_write;
  ac->ev.cleanup = &hook_cleanup;
  descriptor_ = std::make_unique<asio::posix::stream_descriptor>(io_);
  boost::system::error_code ec;
  (void)descriptor_->assign(ac->c.fd, ec);
  if (ec) {
    down_reason_ = "cannot watch the socket: " + ec.message();
    redisAsyncFree(ac);  // the cleanup hook reports the loss
    return;
  }
  // Setting the connect callback arms the first write event, which completes the connect.
  redisAsyncSetConnectCallback(ac, &on_connected);
  redisAsyncSetDisconnectCallback(ac, &on_disconnected);
}

void Connection::on_connected(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<Connection*>(ac->data);
  if (self == nullptr) return;
  // On failure hiredis frees the context right after this returns; the cleanup hook reports it
  // with the socket error (connection refused, no route, ...).
  if (status != REDIS_OK) return;
  if (!self->settings_.endpoint.is_unix()) {
    redisEnableKeepAlive(&self->ac_->c);  // the same context, without the callback's const
  }
  self->handshake();
}

void Connection::on_disconnected(const redisAsyncContext* /*ac*/, int /*status*/) {
  // Everything happened in the cleanup hook, which hiredis calls just before this.
}

void Connection::handshake() {
  state_ = State::kHandshake;
  const Endpoint& ep = settings_.endpoint;
  const auto gen = generation_;
  auto fatal = [this, gen](const char* step) {
    return [this, gen, step](const redisReply* reply, const std::string&) {
      if (reply == nullptr || gen != generation_) return;  // the context is going away anyway
      if (reply->type == REDIS_REPLY_ERROR) {
        const std::string address = settings_.endpoint.display();
        down_reason_ =
            explain_error(std::string_view(reply->str, reply->len), ErrorContext{address, {}, {}}) +
            " (" + step + ")";
        if (ac_ != nullptr) redisAsyncFree(ac_);  // deferred by hiredis until we return
      }
    };
  };
  if (!ep.password.empty()) {
    RespCommand auth("AUTH");
    if (!ep.username.empty()) auth.arg(ep.username);
    auth.arg(ep.password);
    send(auth.wire(), fatal("AUTH"), 0ms);
  }
  if (ep.db != 0) send(RespCommand("SELECT").arg(ep.db).wire(), fatal("SELECT"), 0ms);
  // Last step. It also tells a missing password (NOAUTH) apart; an ACL user without +client
  // (NOPERM) is fine.
  RespCommand name("CLIENT");
  name.arg("SETNAME").arg(settings_.client_name.empty() ? "coyote" : settings_.client_name);
  send(
      name.wire(),
      [this, gen, fatal](const redisReply* reply, const std::string& error) {
        if (reply == nullptr || gen != generation_ || state_ != State::kHandshake) return;
        if (ac_ == nullptr || (ac_->c.flags & REDIS_FREEING) != 0) return;
        if (reply->type == REDIS_REPLY_ERROR &&
            std::string_view(reply->str, reply->len).substr(0, 6) != "NOPERM") {
          fatal("CLIENT SETNAME")(reply, error);
          return;
        }
        become_ready();
      },
      0ms);
}

void Connection::become_ready() {
  const bool recovered = backoff_.failures() > 0;
  state_ = State::kReady;
  if (recovered) {
    const auto down_for =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - down_since_);
    log_.info("redis " + settings_.role + ": connected to " + settings_.endpoint.display() +
              " after " + std::to_string(backoff_.failures()) + " failed attempt(s), " +
              ms_text(down_for) + " without a connection");
  } else if (log_.enabled(sdk::LogLevel::kDebug)) {
    log_.debug("redis " + settings_.role + ": connected to " + settings_.endpoint.display());
  }
  backoff_.reset();
  last_error_.clear();
  logged_error_.clear();
  auto waiting = std::move(backlog_);
  backlog_.clear();
  for (auto& q : waiting) send(std::move(q.wire), std::move(q.done), q.extra_wait);
  if (on_ready_) {
    asio::post(io_, [weak = weak_from_this()] {
      if (auto self = weak.lock(); self && self->ready() && self->on_ready_) self->on_ready_();
    });
  }
}

void Connection::submit(std::string wire, Callback done, std::chrono::milliseconds extra_wait) {
  if (state_ == State::kClosed || (closing_ && state_ != State::kReady)) {
    asio::post(io_, [done = std::move(done)] {
      if (done) done(nullptr, "the connection is closed");
    });
    return;
  }
  if (state_ == State::kReady && backlog_.empty()) {
    send(std::move(wire), std::move(done), extra_wait);
    return;
  }
  backlog_.push_back(Queued{std::move(wire), std::move(done),
                            Clock::now() + settings_.command_timeout, extra_wait});
}

void Connection::send(std::string wire, Callback done, std::chrono::milliseconds extra_wait) {
  auto* pending = new Pending{std::move(done)};
  if (ac_ == nullptr ||
      redisAsyncFormattedCommand(ac_, &on_reply, pending, wire.data(), wire.size()) != REDIS_OK) {
    // The context is closing under us: keep the command for the next connection.
    Callback cb = std::move(pending->done);
    delete pending;
    backlog_.push_back(Queued{std::move(wire), std::move(cb),
                              Clock::now() + settings_.command_timeout, extra_wait});
    return;
  }
  sent_.push_back(Clock::now() + settings_.command_timeout + extra_wait);
}

void Connection::on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(privdata));
  auto* self = static_cast<Connection*>(ac->data);
  // Keeps us alive if the callback drops the last owner (nullptr while we are being destroyed).
  std::shared_ptr<Connection> keep = self != nullptr ? self->weak_from_this().lock() : nullptr;
  std::string error;
  if (self != nullptr) {
    if (!self->sent_.empty()) self->sent_.pop_front();
    if (reply == nullptr) error = self->lost_reason();
  } else if (reply == nullptr) {
    error = "connection closed";
  }
  if (pending->done) pending->done(static_cast<const redisReply*>(reply), error);
}

void Connection::shutdown() {
  closing_ = true;
  if (state_ != State::kReady || (sent_.empty() && backlog_.empty())) abort("shut down");
  // Otherwise the watchdog closes it once the last reply is in (or its deadline passed).
}

void Connection::abort(const std::string& reason) {
  if (ac_ != nullptr) {
    down_reason_ = reason;
    redisAsyncFree(ac_);  // the cleanup hook takes it from here
    return;
  }
  if (closing_ && state_ != State::kClosed) {
    state_ = State::kClosed;
    reconnect_timer_.cancel();
    watchdog_timer_.cancel();
    fail_backlog("the connection is closed");
  }
}

std::string Connection::lost_reason() const {
  if (!down_reason_.empty()) return down_reason_;
  if (ac_ != nullptr && ac_->c.err != 0 && ac_->c.errstr[0] != '\0') return ac_->c.errstr;
  return "connection closed by the server";
}

void Connection::context_gone(const std::string& reason) {
  sent_.clear();
  const bool was_ready = state_ == State::kReady;
  if (closing_) {
    state_ = State::kClosed;
    reconnect_timer_.cancel();
    watchdog_timer_.cancel();
    fail_backlog("the connection is closed");
    return;
  }
  const auto now = Clock::now();
  if (backoff_.failures() == 0) down_since_ = now;
  state_ = State::kWaiting;
  last_error_ = reason;
  const std::string where = "redis " + settings_.role + ": ";
  if (was_ready) {
    log_.error(where + "connection to " + settings_.endpoint.display() + " lost: " + reason +
               "; reconnecting");
    logged_error_ = reason;
    logged_at_ = now;
  } else if (reason != logged_error_ || now - logged_at_ > kRepeatLogEvery) {
    log_.error(where + "cannot use " + settings_.endpoint.display() + ": " + reason +
               "; retrying (attempt " + std::to_string(backoff_.failures() + 1) + ", every " +
               ms_text(settings_.reconnect_max) + " at most)");
    logged_error_ = reason;
    logged_at_ = now;
  }
  if (on_down_) {
    asio::post(io_, [weak = weak_from_this(), reason] {
      if (auto self = weak.lock(); self && self->on_down_) self->on_down_(reason);
    });
  }
  schedule_reconnect();
}

void Connection::schedule_reconnect() {
  reconnect_timer_.expires_after(backoff_.next());
  reconnect_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->closing_ || self->state_ != State::kWaiting) return;
    self->connect();
  });
}

void Connection::fail_backlog(const std::string& reason) {
  auto failed = std::move(backlog_);
  backlog_.clear();
  for (auto& q : failed) {
    if (!q.done) continue;
    asio::post(io_, [done = std::move(q.done), reason] { done(nullptr, reason); });
  }
}

void Connection::arm_watchdog() {
  if (watchdog_armed_ || state_ == State::kClosed) return;
  watchdog_armed_ = true;
  watchdog_timer_.expires_after(kWatchdogPeriod);
  watchdog_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self) return;
    self->watchdog_armed_ = false;
    if (ec) return;
    self->watchdog();
  });
}

void Connection::watchdog() {
  const auto now = Clock::now();
  if ((state_ == State::kConnecting || state_ == State::kHandshake) && now > connect_deadline_ &&
      ac_ != nullptr) {
    abort(std::string(state_ == State::kConnecting ? "connect" : "login") + " timed out after " +
          ms_text(settings_.connect_timeout) + " (redis.connect_timeout)");
  } else if (state_ == State::kReady && !sent_.empty() && sent_.front() < now) {
    abort("no reply within " + ms_text(settings_.command_timeout) +
          " (redis.command_timeout); the connection is reset");
  }
  while (!backlog_.empty() && backlog_.front().expires < now) {
    Queued q = std::move(backlog_.front());
    backlog_.pop_front();
    const std::string why = "not connected to " + settings_.endpoint.display() + " for " +
                            ms_text(settings_.command_timeout) + " (redis.command_timeout)" +
                            (last_error_.empty() ? std::string() : ": " + last_error_);
    if (q.done) q.done(nullptr, why);
  }
  if (closing_ && state_ == State::kReady && sent_.empty() && backlog_.empty()) abort("shut down");
  arm_watchdog();
}

void Connection::arm_read() {
  if (read_armed_ || !descriptor_) return;
  read_armed_ = true;
  descriptor_->async_wait(
      asio::posix::stream_descriptor::wait_read,
      [self = shared_from_this(), gen = generation_](const boost::system::error_code& ec) {
        if (gen != self->generation_) return;
        self->read_armed_ = false;
        if (ec || self->ac_ == nullptr) return;
        if (self->want_read_) redisAsyncHandleRead(self->ac_);
        if (gen == self->generation_ && self->want_read_) self->arm_read();
      });
}

void Connection::arm_write() {
  if (write_armed_ || !descriptor_) return;
  write_armed_ = true;
  descriptor_->async_wait(
      asio::posix::stream_descriptor::wait_write,
      [self = shared_from_this(), gen = generation_](const boost::system::error_code& ec) {
        if (gen != self->generation_) return;
        self->write_armed_ = false;
        if (ec || self->ac_ == nullptr) return;
        if (self->want_write_) redisAsyncHandleWrite(self->ac_);
        if (gen == self->generation_ && self->want_write_) self->arm_write();
      });
}

void Connection::hook_add_read(void* self) {
  auto* c = static_cast<Connection*>(self);
  c->want_read_ = true;
  c->arm_read();
}

void Connection::hook_del_read(void* self) { static_cast<Connection*>(self)->want_read_ = false; }

void Connection::hook_add_write(void* self) {
  auto* c = static_cast<Connection*>(self);
  c->want_write_ = true;
  c->arm_write();
}

void Connection::hook_del_write(void* self) { static_cast<Connection*>(self)->want_write_ = false; }

void Connection::hook_cleanup(void* self) {
  auto* c = static_cast<Connection*>(self);
  if (c->descriptor_) {
    // hiredis closes the socket itself: hand the fd back instead of letting asio close it.
    if (c->descriptor_->is_open()) (void)c->descriptor_->release();
    c->descriptor_.reset();
  }
  c->want_read_ = c->want_write_ = false;
  c->read_armed_ = c->write_armed_ = false;
  ++c->generation_;
  std::string reason = c->lost_reason();
  c->ac_ = nullptr;
  c->context_gone(reason);
}

}  // namespace coyote::drivers::redis
