#include "beanstalk/connection.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace coyote::drivers::beanstalk {

namespace {

/// Read granularity; a reserved job body may be larger and then arrives over several reads.
constexpr std::size_t kReadChunk = std::size_t{64} * 1024;

std::string seconds_text(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

/// Keepalive probes find a peer that vanished (host down, partition) while a connection sits in
/// a blocking reserve with nothing to send; the user timeout bounds how long written data may
/// stay unacknowledged. Without them Linux waits two hours.
void tune_tcp(int fd, std::chrono::milliseconds timeout) {
  const int on = 1;
  const int idle = 5;
  const int interval = 2;
  const int count = 3;
  const auto user_timeout = static_cast<unsigned>(std::max<std::int64_t>(timeout.count(), 5000));
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  (void)::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout);
}

}  // namespace

Connection::Connection(asio::io_context& io, Address address, std::chrono::milliseconds timeout,
                       Handler& handler, std::uint64_t serial)
    : address_(std::move(address)),
      timeout_(timeout),
      handler_(handler),
      serial_(serial),
      socket_(io),
      resolver_(io),
      connect_timer_(io) {}

Connection::~Connection() {
  try {
    close();
  } catch (...) {  // NOLINT(bugprone-empty-catch): closing a socket cannot usefully fail here
  }
}

void Connection::connect() {
  connect_timer_.expires_after(timeout_);
  connect_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->closed_ || self->connected_) return;
    self->fail("no connection within " + seconds_text(self->timeout_) + " (beanstalk.timeout)" +
               (self->last_connect_error_.empty() ? "" : ": " + self->last_connect_error_));
  });
  if (address_.unix_socket) {
    endpoints_.emplace_back(asio::local::stream_protocol::endpoint(address_.path));
    connect_next(0);
    return;
  }
  resolver_.async_resolve(
      address_.host, address_.port,
      [self = shared_from_this()](const boost::system::error_code& ec,
                                  const asio::ip::tcp::resolver::results_type& results) {
        if (self->closed_) return;
        if (ec) {
          self->fail("cannot resolve " + self->address_.host + ": " + ec.message());
          return;
        }
        for (const auto& entry : results) self->endpoints_.emplace_back(entry.endpoint());
        self->connect_next(0);
      });
}

void Connection::connect_next(std::size_t index) {
  if (closed_) return;
  if (index >= endpoints_.size()) {
    fail(last_connect_error_.empty() ? "no address to connect to" : last_connect_error_);
    return;
  }
  boost::system::error_code ignored;
  if (socket_.is_open()) socket_.close(ignored);
  socket_.async_connect(endpoints_[index],
                        [self = shared_from_this(), index](const boost::system::error_code& ec) {
                          self->on_connect(ec, index);
                        });
}

void Connection::on_connect(const boost::system::error_code& ec, std::size_t index) {
  if (closed_) return;
  if (ec) {
    last_connect_error_ = ec.message();
    connect_next(index + 1);
    return;
  }
  connect_timer_.cancel();
  connected_ = true;
  if (!address_.unix_socket) tune_tcp(socket_.native_handle(), timeout_);
  start_read();
  handler_.on_connected(*this);
}

void Connection::sent(protocol::Command command, std::uint64_t tag,
                      std::chrono::milliseconds allowance) {
  pending_.push_back(Pending{command, tag, Clock::now() + timeout_ + allowance});
  if (corked_ == 0) start_write();
}

void Connection::uncork() {
  if (corked_ > 0 && --corked_ == 0) start_write();
}

void Connection::start_write() {
  if (write_in_flight_ || out_.empty() || !up()) return;
  writing_.swap(out_);
  out_.clear();
  write_in_flight_ = true;
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      self->write_in_flight_ = false;
                      if (self->closed_) return;
                      if (ec) {
                        self->fail("write failed: " + ec.message());
                        return;
                      }
                      self->writing_.clear();
                      self->start_write();
                    });
}

void Connection::start_read() {
  if (closed_) return;
  if (in_start_ > 0 && (in_start_ == in_.size() || in_start_ > kReadChunk)) {
    in_.erase(0, in_start_);
    in_start_ = 0;
  }
  const std::size_t used = in_.size();
  in_.resize(used + kReadChunk);
  socket_.async_read_some(
      asio::buffer(in_.data() + used, kReadChunk),
      [self = shared_from_this(), used](const boost::system::error_code& ec, std::size_t n) {
        if (self->closed_) return;
        self->in_.resize(used + n);
        if (ec) {
          self->fail(ec == asio::error::eof ? std::string("beanstalkd closed the connection")
                                            : "read failed: " + ec.message());
          return;
        }
        self->parse();
        self->start_read();
      });
}

void Connection::parse() {
  // Commands the replies cause (stats-job after RESERVED, the next reserves) leave together.
  cork();
  parse_replies();
  uncork();
}

void Connection::parse_replies() {
  while (!closed_ && in_start_ < in_.size()) {
    const std::string_view view(in_.data() + in_start_, in_.size() - in_start_);
    auto result = protocol::parse_reply(view, max_data_);
    if (result.status == protocol::ParseStatus::kNeedMore) return;
    if (result.status == protocol::ParseStatus::kInvalid) {
      fail("beanstalkd sent something that is not a beanstalkd reply (" + result.error + ")");
      return;
    }
    if (pending_.empty()) {
      fail("beanstalkd sent a reply nothing asked for: " +
           std::string(protocol::name_of(result.reply.kind)));
      return;
    }
    const Pending front = pending_.front();
    if (!protocol::is_reply_to(front.command, result.reply.kind)) {
      fail("beanstalkd answered " + std::string(protocol::name_of(front.command)) + " with " +
           std::string(protocol::name_of(result.reply.kind)) +
           ", which is not an answer to it: the connection is out of step");
      return;
    }
    pending_.pop_front();
    // The reply's views point into in_, which stays untouched until this call returns.
    handler_.on_reply(*this, front, result.reply);
    in_start_ += result.consumed;
  }
}

void Connection::check_deadline(Clock::time_point now) {
  if (closed_ || pending_.empty() || now < pending_.front().deadline) return;
  fail("beanstalkd did not answer " + std::string(protocol::name_of(pending_.front().command)) +
       " in time (beanstalk.timeout " + seconds_text(timeout_) + ")");
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  connected_ = false;
  boost::system::error_code ignored;
  connect_timer_.cancel();
  resolver_.cancel();
  if (socket_.is_open()) {
    socket_.shutdown(asio::socket_base::shutdown_both, ignored);
    socket_.close(ignored);
  }
}

void Connection::fail(const std::string& error) {
  if (closed_) return;
  close();
  std::deque<Pending> lost;
  lost.swap(pending_);
  handler_.on_down(*this, error, std::move(lost));
}

}  // namespace coyote::drivers::beanstalk
