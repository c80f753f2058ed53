// RpcClient: a synchronous goridge RPC client with per-operation timeouts, for the CLI and tests.
#pragma once

#include "rpc/request.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace coyote::host::rpc {

/// The server could not be reached (refused, no such socket, cannot resolve, timed out).
class RpcConnectError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The connection broke, timed out, or the server answered something that is not a reply.
class RpcTransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RpcReply {
  std::uint32_t seq = 0;
  bool error = false;  ///< the ERROR flag was set: `body` is the error text
  std::uint8_t flags = 0;
  std::string method;
  std::string body;  ///< reply payload without the method name
};

class RpcClient {
 public:
  /// Connects to "tcp://host:port" or "unix:///path". Throws RpcConnectError (with the OS reason,
  /// e.g. "connection refused") or std::invalid_argument for a malformed address.
  explicit RpcClient(const std::string& address,
                     std::chrono::milliseconds timeout = std::chrono::seconds(60));
  ~RpcClient();
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;

  /// send() then receive(); throws RpcTransportError if the reply's seq is not the one sent.
  RpcReply call(std::string_view method, Codec codec, std::string_view body);

  /// Sends one request with the next sequence number (from 1, as PHP's client) and returns it.
  std::uint32_t send(std::string_view method, Codec codec, std::string_view body);
  /// Reads the next reply frame, whichever call it answers.
  RpcReply receive();
  /// Writes raw bytes (tests: malformed frames).
  void send_raw(std::string_view bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint32_t seq_ = 1;
};

}  // namespace coyote::host::rpc
