// RpcServer: goridge RPC over TCP or a unix socket (spec 4.1-4.3), served on the loop thread.
#pragma once

#include "rpc/listen_address.hpp"
#include "rpc/method_table.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace coyote::host::jobs {
class JobsService;
}
namespace coyote::host::worker {
class PoolControl;
}

namespace coyote::host::rpc {

struct RpcServerOptions {
  std::string listen = std::string(kDefaultListen);  ///< rpc.listen
  /// Largest accepted payload; a bigger frame is refused from its header (connection closed)
  /// before any of its payload is buffered.
  std::uint32_t max_frame_size = 64u * 1024u * 1024u;
  unsigned unix_socket_mode = 0600;  ///< permissions of a unix socket file
  std::string version;               ///< rpc.Version; empty: coyote_version()
  /// rpc.max_connections: connections held at once; more are accepted and closed at once. Also
  /// kept `kFdReserve` below the process's open-file limit, so workers can always be spawned.
  std::size_t max_connections = 1024;
  /// rpc.idle_timeout: a connection with no request in flight, no reply unsent and no byte
  /// received for this long is closed; 0 = never (RoadRunner's clients keep one connection and
  /// do not reconnect, hence the default).
  std::chrono::milliseconds idle_timeout{0};
  /// Replies one connection may have unsent before the server stops reading its requests (a
  /// client that pipelines and never reads gets no more work done, not more memory).
  std::size_t max_unsent_bytes = std::size_t{1} << 20;
  /// Requests of one connection dispatched and not yet answered before the server stops reading.
  std::size_t max_calls_in_flight = 128;
  /// Read buffers of all connections together (partial requests); a connection whose request
  /// would grow them beyond this is closed. At least max_frame_size.
  std::size_t max_buffered_bytes = std::size_t{256} << 20;
};

/// File descriptors kept free below RLIMIT_NOFILE: a connection flood must leave room to spawn
/// workers (three pipes and a pidfd each), open plugin files and logs.
inline constexpr std::size_t kFdReserve = 128;

/// Threading: construct, start, stop and destroy on the loop thread (or before the loop runs).
/// Every connection, handler and reply runs on `io`'s loop thread.
///
/// Connections are independent: a header error (bad CRC, option count, method length) or an
/// oversize frame closes that connection only, without a reply (as Go's net/rpc does); unknown
/// methods and argument decoding errors get an error reply and the connection stays open. Calls
/// on one connection are dispatched in arrival order but may complete out of order (replies
/// carry the request's sequence number).
class RpcServer {
 public:
  /// Serves `methods` as given (tests, or a binary that builds its own table).
  RpcServer(boost::asio::io_context& io, RpcServerOptions options, MethodTable methods);
  /// Serves default_methods(jobs, pools, version). `jobs` (and `pools`, if not null) must outlive
  /// the server and any reply still in flight.
  RpcServer(boost::asio::io_context& io, const RpcServerOptions& options, jobs::JobsService& jobs,
            worker::PoolControl* pools);
  ~RpcServer();
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  /// The live method table: add extra methods ("coyote.DeadLetters", ...) before or after start.
  [[nodiscard]] MethodTable& methods() noexcept;

  /// Called on the loop thread as every call is answered, with the requested method name (as
  /// sent: it may be one the table does not have) and whether the reply is a success; for the
  /// per-method request and error counters. Empty: nothing is called.
  using CallObserver = std::function<void(std::string_view method, bool ok)>;
  void set_call_observer(CallObserver observer);

  /// Binds and listens. Throws std::runtime_error with a message saying what to fix: the address
  /// is invalid, in use (also a unix socket with a live listener), or not permitted. A unix socket
  /// file left by a dead process is replaced.
  void start();

  /// Stops accepting, closes every connection and removes the unix socket file. Idempotent.
  void stop();

  /// The bound address with the real port ("tcp://127.0.0.1:40321"), valid after start().
  [[nodiscard]] std::string local_address() const;

  [[nodiscard]] std::size_t connection_count() const noexcept;
  /// Bytes all connections' read buffers hold (bounded by max_buffered_bytes).
  [[nodiscard]] std::size_t buffered_bytes() const noexcept;
  /// Bytes of replies not yet written, over all connections.
  [[nodiscard]] std::size_t unsent_bytes() const noexcept;
  /// The connection cap in force: max_connections, lowered to keep kFdReserve descriptors free.
  [[nodiscard]] std::size_t connection_limit() const noexcept;

  struct State;  // shared with connections, which may outlive the server by a pending reply

 private:
  class ListenerBase;
  template <typename Protocol>
  class Listener;

  boost::asio::io_context& io_;
  std::shared_ptr<State> state_;
  std::unique_ptr<ListenerBase> listener_;
};

}  // namespace coyote::host::rpc
