// Responder: how a handler answers one request, now or later, whole or as a stream.
#pragma once

#include "http/response.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace coyote::host::http {

namespace detail {

/// The connection side of an exchange; called on the server's loop thread only.
class ExchangeSink {
 public:
  ExchangeSink() = default;
  ExchangeSink(const ExchangeSink&) = delete;
  ExchangeSink& operator=(const ExchangeSink&) = delete;
  ExchangeSink(ExchangeSink&&) = delete;
  ExchangeSink& operator=(ExchangeSink&&) = delete;
  virtual ~ExchangeSink() = default;
  virtual void finish(std::uint64_t exchange, Response response) = 0;
  virtual void start_stream(std::uint64_t exchange, Response head) = 0;
  virtual void stream_write(std::uint64_t exchange, std::string data) = 0;
  virtual void stream_end(std::uint64_t exchange) = 0;
};

/// One request's answer, shared by every copy of its Responder and ResponseStream.
class Exchange {
 public:
  Exchange(std::shared_ptr<ExchangeSink> sink, boost::asio::any_io_executor executor,
           std::uint64_t id);
  ~Exchange();
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;
  Exchange(Exchange&&) = delete;
  Exchange& operator=(Exchange&&) = delete;

  bool respond(Response response);
  bool stream(Response head);
  bool write(std::string data);
  void end();
  [[nodiscard]] bool open() const noexcept { return open_.load(std::memory_order_acquire); }
  void on_close(std::function<void()> callback);

  /// Loop thread, by the connection: the answer is complete (drops the close callbacks).
  void completed();
  /// Loop thread, by the connection: the client is gone before the answer completed.
  void disconnected();

 private:
  enum State : int { kPending, kAnswered, kStreaming, kEnded };
  std::shared_ptr<ExchangeSink> sink_;  // released on the loop only (see ~Exchange)
  boost::asio::any_io_executor executor_;
  std::uint64_t id_;
  std::atomic<int> state_{kPending};
  std::atomic<bool> open_{true};
  std::vector<std::function<void()>> on_close_;  // loop thread only
  bool done_ = false;                            // loop thread only
  bool gone_ = false;                            // loop thread only
};

}  // namespace detail

class ResponseStream;

/// Handed to a handler with its request. Copyable: every copy answers the same request, and the
/// first answer wins (later ones are ignored and return false). respond(), stream() and the
/// stream's write()/end() may be called from any thread; the bytes go out on the loop thread.
/// If every copy is destroyed without an answer the client gets 500 "handler gave no answer",
/// so a forgotten request never hangs a connection.
class Responder {
 public:
  explicit Responder(std::shared_ptr<detail::Exchange> exchange) : exchange_(std::move(exchange)) {}

  /// Sends `response` whole. False when the request was already answered.
  bool respond(Response response) const { return exchange_->respond(std::move(response)); }

  /// Starts a streamed answer (Server-Sent Events, long chunked downloads): `head`'s status,
  /// content type and headers go out at once (chunked on HTTP/1.1; on HTTP/1.0 the connection
  /// closes at the end instead), `head.body`, if any, as the first chunk. A client that reads
  /// slower than the stream is written (more than HttpServerOptions::max_stream_buffer queued)
  /// is disconnected.
  [[nodiscard]] ResponseStream stream(Response head) const;

  /// False once the client disconnected or the answer is complete (then writes are dropped).
  [[nodiscard]] bool open() const noexcept { return exchange_->open(); }

  /// Loop thread only: `callback` runs on the loop when the client disconnects before the answer
  /// is complete (a long-poll or stream can stop its work). Runs at once if the client is
  /// already gone; never runs after a completed answer.
  void on_close(std::function<void()> callback) const { exchange_->on_close(std::move(callback)); }

 private:
  std::shared_ptr<detail::Exchange> exchange_;
};

/// A streamed answer; copies share it. Ends when end() is called or the last copy (and the
/// Responder copies) are destroyed.
class ResponseStream {
 public:
  ResponseStream() = default;
  explicit ResponseStream(std::shared_ptr<detail::Exchange> exchange)
      : exchange_(std::move(exchange)) {}

  /// Queues one chunk (any thread). False when the stream is not open (client gone, ended, or
  /// the request was answered another way); the data is then dropped.
  bool write(std::string data) const { return exchange_ && exchange_->write(std::move(data)); }
  /// Finishes the body (any thread). Idempotent.
  void end() const {
    if (exchange_) exchange_->end();
  }
  [[nodiscard]] bool open() const noexcept { return exchange_ && exchange_->open(); }

 private:
  std::shared_ptr<detail::Exchange> exchange_;
};

inline ResponseStream Responder::stream(Response head) const {
  if (!exchange_->stream(std::move(head))) return {};
  return ResponseStream(exchange_);
}

}  // namespace coyote::host::http
