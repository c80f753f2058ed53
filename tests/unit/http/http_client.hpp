// A blocking HTTP client over a real TCP socket (Beast parses the answers), for server tests.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace coyote::test {

class HttpClient {
 public:
  using Response = boost::beast::http::response<boost::beast::http::string_body>;

  explicit HttpClient(std::uint16_t port, std::chrono::seconds timeout = std::chrono::seconds(10))
      : socket_(io_) {
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    // Bound every blocking read, so a server bug fails the test instead of hanging it.
    timeval tv{static_cast<time_t>(timeout.count()), 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }

  void send(std::string_view raw) { boost::asio::write(socket_, boost::asio::buffer(raw)); }

  /// Reads one whole answer (Content-Length or chunked).
  Response read() {
    Response res;
    boost::beast::http::read(socket_, buffer_, res);
    return res;
  }

  /// Reads one answer to a request for `target` (GET unless `method` says otherwise).
  Response get(std::string_view target, std::string_view method = "GET") {
    send(std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n\r\n");
    return read();
  }

  /// True when the server closed the connection (a read sees end of stream).
  bool closed_by_server() {
    if (buffer_.size() > 0) return false;
    char c = 0;
    boost::system::error_code ec;
    socket_.read_some(boost::asio::buffer(&c, 1), ec);
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
  }

  boost::asio::ip::tcp::socket& socket() { return socket_; }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace coyote::test
