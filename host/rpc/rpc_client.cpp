#include "rpc/rpc_client.hpp"

#include "goridge/frame_buffer.hpp"
#include "rpc/listen_address.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace coyote::host::rpc {
namespace asio = boost::asio;

struct RpcClient::Impl {
  asio::io_context io;
  asio::ip::tcp::socket tcp{io};
  asio::local::stream_protocol::socket local{io};
  bool is_unix = false;
  std::chrono::milliseconds timeout{};
  // One recv usually holds a whole reply, where reading header, options and payload separately
  // took three. The client accepts any reply size the protocol can express.
  goridge::FrameBuffer frames{0xffffffffu};

  // Connect only: runs one asynchronous connect to completion or until the timeout.
  template <typename Start>
  boost::system::error_code run(Start&& start) {
    boost::system::error_code result = asio::error::timed_out;
    bool done = false;
    io.restart();
    start([&](const boost::system::error_code& ec, auto&&...) {
      done = true;
      result = ec;
    });
    io.run_for(timeout);
    if (!done) {
      boost::system::error_code ignored;
      tcp.cancel(ignored);
      local.cancel(ignored);
      io.restart();
      io.run();  // drain the cancelled handler
      result = asio::error::timed_out;
    }
    return result;
  }

  [[nodiscard]] int fd() { return is_unix ? local.native_handle() : tcp.native_handle(); }

  // After connecting, requests and replies use plain blocking calls bounded by SO_RCVTIMEO and
  // SO_SNDTIMEO: no event loop turn and no timer per read, so a benchmark measures the server.
  void use_blocking_io(boost::system::error_code& ec) {
    if (is_unix) {
      local.native_non_blocking(false, ec);
    } else {
      tcp.native_non_blocking(false, ec);
    }
    if (ec) return;
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
    const timeval tv{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
    if (::setsockopt(fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        ::setsockopt(fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
      ec.assign(errno, boost::system::system_category());
    }
  }

  [[nodiscard]] std::string os_error(int err) const {
    if (err == EAGAIN || err == EWOULDBLOCK) {
      return "timed out after " + std::to_string(timeout.count()) + " ms";
    }
    return std::system_category().message(err);
  }

  void write_all(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw RpcTransportError("cannot send to the RPC server: " + os_error(errno));
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // Receives whatever the socket has (at least one byte) into the frame buffer.
  void receive_some() {
    for (;;) {
      const auto space = frames.prepare();
      const ssize_t got = ::recv(fd(), space.data(), space.size(), 0);
      const int err = errno;
      if (got > 0) {
        frames.commit(static_cast<std::size_t>(got));
        return;
      }
      if (got < 0 && err == EINTR) continue;
      if (got == 0) throw RpcTransportError("the RPC server closed the connection");
      throw RpcTransportError("cannot read the RPC reply: " + os_error(err));
    }
  }
};

RpcClient::RpcClient(const std::string& address, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->timeout = timeout;
  const ListenAddress addr = parse_listen_address(address);
  boost::system::error_code ec;
  if (addr.kind == ListenAddress::Kind::kUnix) {
    impl_->is_unix = true;
    ec = impl_->run([&](auto handler) {
      impl_->local.async_connect(asio::local::stream_protocol::endpoint(addr.path), handler);
    });
  } else {
    asio::ip::tcp::resolver resolver(impl_->io);
    const auto results = resolver.resolve(addr.host, std::to_string(addr.port), ec);
    if (!ec) {
      ec = impl_->run([&](auto handler) { asio::async_connect(impl_->tcp, results, handler); });
      if (!ec) impl_->tcp.set_option(asio::ip::tcp::no_delay(true), ec);
    }
  }
  if (ec) throw RpcConnectError(ec.message());
  impl_->use_blocking_io(ec);
  if (ec) throw RpcConnectError("cannot configure the RPC connection: " + ec.message());
}

RpcClient::~RpcClient() = default;

void RpcClient::send_raw(std::string_view bytes) { impl_->write_all(bytes); }

std::uint32_t RpcClient::send(std::string_view method, Codec codec, std::string_view body) {
  const std::uint32_t seq = seq_++;
  send_raw(encode_request(seq, static_cast<std::uint8_t>(codec), method, body));
  return seq;
}

RpcReply RpcClient::receive() {
  Impl& in = *impl_;
  for (;;) {
    auto next = in.frames.next();
    if (!next) {
      throw RpcTransportError("invalid RPC reply: " + next.error() +
                              (in.frames.problem() == goridge::ParseProblem::kBadCrc
                                   ? " (is the address a coyote or RoadRunner RPC server?)"
                                   : std::string()));
    }
    if (!*next) {
      in.receive_some();
      continue;
    }
    // A reply is laid out as a request is: options (seq, method length), method ‖ body.
    const goridge::FrameBuffer::Frame& frame = **next;
    auto call = request_from(frame.header, frame.payload);
    if (!call) throw RpcTransportError("invalid RPC reply: " + call.error());
    RpcReply reply;
    reply.seq = call->seq;
    reply.flags = frame.header.flags;
    reply.error = frame.header.has(goridge::flag::kError);
    reply.method.assign(call->method);
    reply.body.assign(call->body);
    return reply;
  }
}

RpcReply RpcClient::call(std::string_view method, Codec codec, std::string_view body) {
  const std::uint32_t seq = send(method, codec, body);
  RpcReply reply = receive();
  if (reply.seq != seq) {
    throw RpcTransportError("invalid RPC reply: seq " + std::to_string(reply.seq) + ", expected " +
                            std::to_string(seq));
  }
  return reply;
}

}  // namespace coyote::host::rpc
