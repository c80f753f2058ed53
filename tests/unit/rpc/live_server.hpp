// A real RpcServer on its own loop thread with fake engine services, for socket-level tests.
#pragma once

#include "fake_services.hpp"
#include "rpc/rpc_server.hpp"
#include "support/temp_dir.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>

namespace coyote::test {

class LiveServer {
 public:
  explicit LiveServer(std::string listen = "tcp://127.0.0.1:0",
                      std::uint32_t max_frame_size = 1024 * 1024)
      : LiveServer(options_for(std::move(listen), max_frame_size)) {}

  explicit LiveServer(host::rpc::RpcServerOptions options) {
    if (options.version.empty()) options.version = "9.9.9-test";
    server_ = std::make_unique<host::rpc::RpcServer>(io_, options, jobs, &pools);
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
  }

  static host::rpc::RpcServerOptions options_for(std::string listen = "tcp://127.0.0.1:0",
                                                 std::uint32_t max_frame_size = 1024 * 1024) {
    host::rpc::RpcServerOptions options;
    options.listen = std::move(listen);
    options.max_frame_size = max_frame_size;
    return options;
  }

  ~LiveServer() {
    // A push left unanswered holds its connection (and that connection's timers): let it go on
    // the loop, while the io_context those timers belong to still exists.
    on_loop([this] {
      jobs.deferred.clear();
      server_->stop();
    });
    guard_.reset();
    io_.stop();
    thread_.join();
  }

  LiveServer(const LiveServer&) = delete;
  LiveServer& operator=(const LiveServer&) = delete;

  /// Runs `f` on the loop thread (the fakes are loop-confined) and returns its result.
  template <typename F>
  auto on_loop(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }

  std::string address() {
    return on_loop([this] { return server_->local_address(); });
  }
  std::size_t connections() {
    return on_loop([this] { return server_->connection_count(); });
  }
  std::size_t buffered_bytes() {
    return on_loop([this] { return server_->buffered_bytes(); });
  }
  std::size_t unsent_bytes() {
    return on_loop([this] { return server_->unsent_bytes(); });
  }
  std::size_t connection_limit() {
    return on_loop([this] { return server_->connection_limit(); });
  }

  /// Polls `pred` (on the calling thread) until it holds or `timeout` passes.
  template <typename Pred>
  static bool wait_for(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  FakeJobsService jobs;
  FakePoolControl pools;

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
      io_.get_executor()};
  std::unique_ptr<host::rpc::RpcServer> server_;
  std::thread thread_;
};

}  // namespace coyote::test
