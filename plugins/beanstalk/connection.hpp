// Connection: one non-blocking connection to beanstalkd, run by the driver's own io_context.
#pragma once

#include "beanstalk/beanstalk_config.hpp"
#include "beanstalk/beanstalk_protocol.hpp"

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace coyote::drivers::beanstalk {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

/// A command sent and not yet answered. beanstalkd answers in order, so the oldest one owns the
/// next reply.
struct Pending {
  protocol::Command command = protocol::Command::kStats;
  std::uint64_t tag = 0;  ///< the owner's reference (a put, a reserved job)
  Clock::time_point deadline;
};

/// Commands are pipelined: send() appends to an output buffer that is written while the previous
/// write is in flight, so a burst of acknowledgements leaves in one write. Replies are parsed by
/// protocol::parse_reply and handed to the Handler with the Pending they answer. Any I/O error,
/// a reply that is not beanstalkd's, or one that does not answer the oldest command (the stream
/// is out of step) ends the connection: the Handler gets on_down with every unanswered command.
///
/// Everything runs on the io_context's one thread. Owned through shared_ptr because completion
/// handlers keep it alive after the owner dropped it (they find it closed and do nothing).
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  class Handler {
   public:
    Handler() = default;
    Handler(const Handler&) = delete;
    Handler& operator=(const Handler&) = delete;
    Handler(Handler&&) = delete;
    Handler& operator=(Handler&&) = delete;
    virtual ~Handler() = default;
    /// The socket is connected; the owner sends its set-up commands (use, watch) first.
    virtual void on_connected(Connection& connection) = 0;
    virtual void on_reply(Connection& connection, const Pending& pending,
                          const protocol::Reply& reply) = 0;
    /// The connection failed (never after close()). `lost` holds the commands without answer.
    virtual void on_down(Connection& connection, const std::string& error,
                         std::deque<Pending> lost) = 0;
  };

  Connection(asio::io_context& io, Address address, std::chrono::milliseconds timeout,
             Handler& handler, std::uint64_t serial);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Connection(Connection&&) = delete;
  Connection& operator=(Connection&&) = delete;

  /// Resolves and connects, bounded by the timeout.
  void connect();

  /// Records that the command just appended to buffer() expects a reply within `allowance`
  /// (beyond the connection's own timeout), and starts writing.
  void sent(protocol::Command command, std::uint64_t tag, std::chrono::milliseconds allowance = {});
  /// Where the next command's text is appended (protocol::put(c.buffer(), ...)).
  std::string& buffer() { return out_; }

  /// While corked, commands accumulate and leave in one write at uncork(): the owner corks
  /// around a burst (a batch of acknowledgements), and parse() corks around one read's replies.
  void cork() noexcept { ++corked_; }
  void uncork();

  /// Closes without calling the Handler. Idempotent.
  void close();
  /// Fails the connection as if the I/O had failed (the Handler gets on_down).
  void fail(const std::string& error);

  /// Fails the connection when its oldest command has waited past its deadline: a broker that
  /// stopped answering (a half-dead TCP peer) is found even while the socket looks fine.
  void check_deadline(Clock::time_point now);

  [[nodiscard]] bool up() const noexcept { return connected_ && !closed_; }
  [[nodiscard]] bool closed() const noexcept { return closed_; }
  [[nodiscard]] std::size_t outstanding() const noexcept { return pending_.size(); }
  [[nodiscard]] std::uint64_t serial() const noexcept { return serial_; }
  [[nodiscard]] const Address& address() const noexcept { return address_; }
  /// Largest <bytes> accepted in a data reply; the owner raises it to the server's max-job-size.
  void set_max_data(std::size_t bytes) noexcept { max_data_ = bytes; }

 private:
  void connect_next(std::size_t index);
  void on_connect(const boost::system::error_code& ec, std::size_t index);
  void start_write();
  void start_read();
  void parse();
  void parse_replies();

  Address address_;
  std::chrono::milliseconds timeout_;
  Handler& handler_;
  std::uint64_t serial_;
  /// Until the server's max-job-size is known (its stats reply is the first data reply).
  std::size_t max_data_ = std::size_t{1} << 20;

  asio::generic::stream_protocol::socket socket_;
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer connect_timer_;
  std::vector<asio::generic::stream_protocol::endpoint> endpoints_;
  std::string last_connect_error_;

  std::string out_;      // commands not yet handed to the kernel
  std::string writing_;  // the write in flight
  bool write_in_flight_ = false;
  int corked_ = 0;
  std::string in_;  // received bytes not yet parsed (from in_start_)
  std::size_t in_start_ = 0;
  std::deque<Pending> pending_;
  bool connected_ = false;
  bool closed_ = false;
};

}  // namespace coyote::drivers::beanstalk
