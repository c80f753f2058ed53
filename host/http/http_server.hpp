// HttpServer: a small HTTP/1.1 server on the host's loop (metrics, status, later the dashboard).
//
// API in brief:
//   Router router;                                   // path prefix -> handler
//   router.add("/", [](const Request& r) { return Response::text(200, "hi\n"); });  // sync
//   router.add("/poll", [](Request r, Responder out) { keep(out); });  // answer later, any thread
//   HttpServer server(io, options, std::move(router));  // options.address = "127.0.0.1:2112"
//   server.start();  /* throws with a fix-it message */  server.stop();  // on the loop thread
//
// Everything (accept, parse, handlers, writes) runs on the io_context's loop thread; a handler
// must not block. Requests are parsed by Beast (RequestReader) within header/body limits;
// answers are HTTP/1.1 with keep-alive unless the client or the response says close. Bounds:
// at most max_connections open (further clients wait in the listen backlog), read_timeout for
// a request once it started, idle_timeout between keep-alive requests, write_timeout per write.
// Errors answer 400/408/413/431/501 and close; 404 when no route matches. HEAD gets the GET
// answer's header without the body. Deferred answers and streams: see Responder.
#pragma once

#include "http/request_reader.hpp"
#include "http/router.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace coyote::host::http {

struct HttpServerOptions {
  /// host:port (parse_http_address); port 0 picks a free one (see local_address()).
  std::string address = "127.0.0.1:0";
  /// The setting the address came from, named in error messages ("metrics.address").
  std::string setting = "http.address";
  /// An address that is not loopback is refused unless this is set: these endpoints have no
  /// authentication. `non_loopback_hint` says how the user opts in.
  bool allow_non_loopback = false;
  std::string non_loopback_hint = "allow it explicitly";
  /// Logger name and the label of log lines ("metrics", "status").
  std::string name = "http";

  std::size_t max_connections = 64;
  ReaderLimits limits;
  std::chrono::milliseconds read_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
  /// Bytes a streamed answer may queue for a slow client before it is disconnected.
  std::size_t max_stream_buffer = std::size_t{1024} * 1024;
};

/// Construct, start, stop and destroy on the loop thread (or before the loop runs).
class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, HttpServerOptions options, Router router);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  HttpServer(HttpServer&&) = delete;
  HttpServer& operator=(HttpServer&&) = delete;

  /// Routes may be added before start() (and after, on the loop thread).
  [[nodiscard]] Router& router() noexcept;

  /// Resolves, checks loopback, binds and listens. Throws std::runtime_error naming the setting
  /// and what to fix: a malformed address, a name that does not resolve, a non-loopback address
  /// without opt-in, the port in use, or a privileged port.
  void start();
  /// Stops accepting and closes every connection (pending handlers' answers are dropped).
  /// Idempotent.
  void stop();

  /// The bound address with the real port ("127.0.0.1:40321"), valid after start().
  [[nodiscard]] std::string local_address() const;
  [[nodiscard]] std::uint16_t port() const noexcept;
  [[nodiscard]] std::size_t connection_count() const noexcept;

  struct State;  // shared with connections, which may outlive the server by a pending answer

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<State> state_;
};

}  // namespace coyote::host::http
