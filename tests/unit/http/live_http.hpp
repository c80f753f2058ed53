// A real HttpServer on its own loop thread, for socket-level tests.
#pragma once

#include "http/http_server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <thread>

namespace coyote::test {

class LiveHttp {
 public:
  explicit LiveHttp(host::http::Router router, host::http::HttpServerOptions options = {}) {
    server_ = std::make_unique<host::http::HttpServer>(io_, std::move(options), std::move(router));
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~LiveHttp() {
    on_loop([this] { server_->stop(); });
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  LiveHttp(const LiveHttp&) = delete;
  LiveHttp& operator=(const LiveHttp&) = delete;

  template <typename F>
  auto on_loop(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }

  [[nodiscard]] std::uint16_t port() const { return server_->port(); }
  std::size_t connections() {
    return on_loop([this] { return server_->connection_count(); });
  }

  template <typename Pred>
  static bool wait_for(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pred();
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
      io_.get_executor()};
  std::unique_ptr<host::http::HttpServer> server_;
  std::thread thread_;
};

}  // namespace coyote::test
