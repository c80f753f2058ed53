// AmqpConnection: one rabbitmq-c connection (TCP or TLS), opened and owned by one thread.
#pragma once

#include "amqp/amqp_settings.hpp"

#include <coyote/sdk/status.hpp>

#include <amqp.h>

#include <chrono>
#include <string>

namespace coyote::drivers::amqp {

/// rabbitmq-c connections are not thread-safe: the driver's I/O thread creates, uses and
/// destroys this object, nothing else touches it. Synchronous calls (declare, qos, consume) are
/// bounded by the RPC timeout and by missed heartbeats; a broker that closes a channel gets its
/// channel.close-ok here, so the channel can be opened again.
class AmqpConnection {
 public:
  static constexpr std::chrono::seconds kRpcTimeout{15};

  AmqpConnection();
  ~AmqpConnection();
  AmqpConnection(const AmqpConnection&) = delete;
  AmqpConnection& operator=(const AmqpConnection&) = delete;
  AmqpConnection(AmqpConnection&&) = delete;
  AmqpConnection& operator=(AmqpConnection&&) = delete;

  /// TCP or TLS connect and AMQP login (bounded by connect_timeout). `name` shows as the
  /// connection name in RabbitMQ's management UI.
  sdk::Status open(const GlobalSettings& settings, const std::string& name);
  /// connection.close, bounded by `timeout`; the socket is closed either way.
  void close(std::chrono::milliseconds timeout);

  sdk::Status open_channel(amqp_channel_t channel);
  /// Turns the last synchronous call's reply (a call on `channel`) into a Status ("what:
  /// reason"). On channel.close it answers close-ok and sets channel_closed(); on
  /// connection.close it answers close-ok and sets broken(). A library error (socket, timeout)
  /// sets broken() too.
  sdk::Status reply_status(const std::string& what, amqp_channel_t channel);

  [[nodiscard]] amqp_connection_state_t get() const noexcept { return state_; }
  [[nodiscard]] int fd() const noexcept;
  /// The connection can no longer be used: reconnect.
  [[nodiscard]] bool broken() const noexcept { return broken_; }
  void set_broken() noexcept { broken_ = true; }
  /// The last reply_status() closed its channel (the server sent channel.close).
  [[nodiscard]] bool channel_closed() const noexcept { return channel_closed_; }
  /// The heartbeat the broker agreed to (0: none).
  [[nodiscard]] int heartbeat() const noexcept;

  /// Answers a server's channel.close / connection.close read by the caller's frame loop.
  void send_channel_close_ok(amqp_channel_t channel);
  void send_connection_close_ok();

 private:
  amqp_connection_state_t state_;
  bool opened_ = false;
  bool broken_ = false;
  bool channel_closed_ = false;
};

/// "406 PRECONDITION_FAILED - inequivalent arg ..." for a server close, the library's text for
/// a library error.
std::string describe_reply(const amqp_rpc_reply_t& reply);
/// A rabbitmq-c status code as text, with the OS error behind a socket error and what a
/// heartbeat timeout means. Call it right after the failing call (it reads errno).
std::string describe_status(int status);
/// "channel.close 404 NOT_FOUND - no queue 'q' in vhost '/'" from a close method's fields.
std::string describe_close(std::uint16_t code, amqp_bytes_t text);

}  // namespace coyote::drivers::amqp
