#include "rpc/rpc_client.hpp"

#include "goridge/frame.hpp"
#include "rpc/listen_address.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <vector>

namespace coyote::host::rpc {
namespace asio = boost::asio;

struct RpcClient::Impl {
  asio::io_context io;
  asio::ip::tcp::socket tcp{io};
  asio::local::stream_protocol::socket local{io};
  bool is_unix = false;
  std::chrono::milliseconds timeout{};

  // Runs one asynchronous operation to completion or until the timeout, so a stalled server
  // cannot hang the caller.
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

  template <typename F>
  auto with_socket(F&& f) {
    return is_unix ? f(local) : f(tcp);
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
}

RpcClient::~RpcClient() = default;

void RpcClient::send_raw(std::string_view bytes) {
  const auto ec = impl_->run([&](auto handler) {
    impl_->with_socket([&](auto& s) {
      asio::async_write(s, asio::buffer(bytes.data(), bytes.size()), handler);
      return 0;
    });
  });
  if (ec) throw RpcTransportError("cannot send to the RPC server: " + ec.message());
}

std::uint32_t RpcClient::send(std::string_view method, Codec codec, std::string_view body) {
  const std::uint32_t seq = seq_++;
  send_raw(encode_request(seq, static_cast<std::uint8_t>(codec), method, body));
  return seq;
}

RpcReply RpcClient::receive() {
  std::vector<std::uint8_t> buf(goridge::kHeaderSize);
  const auto read_exact = [&](std::size_t offset, std::size_t n) {
    const auto ec = impl_->run([&](auto handler) {
      impl_->with_socket([&](auto& s) {
        asio::async_read(s, asio::buffer(buf.data() + offset, n), handler);
        return 0;
      });
    });
    if (ec) {
      throw RpcTransportError(ec == asio::error::eof
                                  ? std::string("the RPC server closed the connection")
                                  : "cannot read the RPC reply: " + ec.message());
    }
  };
  read_exact(0, goridge::kHeaderSize);
  goridge::ParseResult parsed = goridge::parse_header(buf, 0xffffffffu);
  if (parsed.status == goridge::ParseStatus::kNeedMore) {
    buf.resize(parsed.needed);
    read_exact(goridge::kHeaderSize, parsed.needed - goridge::kHeaderSize);
    parsed = goridge::parse_header(buf, 0xffffffffu);
  }
  if (parsed.status != goridge::ParseStatus::kOk) {
    throw RpcTransportError("invalid RPC reply: " + parsed.error);
  }
  const goridge::Header& h = parsed.header;
  const std::size_t header_size = h.header_size();
  buf.resize(h.frame_size());
  if (h.payload_length != 0) read_exact(header_size, h.payload_length);
  if (h.option_count != 2 || h.options[1] > h.payload_length) {
    throw RpcTransportError("invalid RPC reply: expected 2 options (seq, method length)");
  }
  RpcReply reply;
  reply.seq = h.options[0];
  reply.flags = h.flags;
  reply.error = h.has(goridge::flag::kError);
  const char* payload = reinterpret_cast<const char*>(buf.data() + header_size);
  reply.method.assign(payload, h.options[1]);
  reply.body.assign(payload + h.options[1], h.payload_length - h.options[1]);
  return reply;
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
