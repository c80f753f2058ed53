// RedisClient: the driver's own thread, its connections to one Redis server and the one
// maintenance timer every redis pipeline of the process shares.
#pragma once

#include "redis/connection.hpp"
#include "redis/options.hpp"

#include <coyote/sdk/logger.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace coyote::drivers::redis {

class StreamPipeline;

/// The way into the client's loop from other threads that may outlive it (jobs still held by
/// the host at exit): posting after the client closed is refused instead of touching a
/// destroyed io_context.
class LoopGate {
 public:
  explicit LoopGate(boost::asio::io_context& io) : io_(&io) {}

  /// Posts `work` (moved from only when posted). False once the client is closing down.
  template <typename Work>
  bool post(Work& work) {
    std::lock_guard lock(mutex_);
    if (io_ == nullptr) return false;
    boost::asio::post(*io_, std::move(work));
    return true;
  }
  void close() {
    std::lock_guard lock(mutex_);
    io_ = nullptr;
  }

 private:
  std::mutex mutex_;
  boost::asio::io_context* io_;
};

/// One per process (per `redis:` section), created with the first redis pipeline. Every Redis
/// round trip of every redis pipeline runs on its thread; the host's loop only posts to it.
///
/// Connections: `pool_size` command connections carry pushes, acknowledgements, scripts and
/// counts, each pipeline always on the same one so that its commands stay in order; every
/// consuming pipeline has one more, its reader, because XREADGROUP BLOCK holds a connection.
/// A timer ticks every 100 ms and lets each pipeline run what is due (counts, heartbeats,
/// reclaims, moving due delayed jobs): no thread or timer per pipeline.
class RedisClient {
 public:
  RedisClient(ClientOptions options, sdk::Logger& log);
  /// Closes every connection, waiting a little for replies still due (acks in flight), joins
  /// the thread, then detaches the pipelines still alive from it (their later calls fail or do
  /// nothing). Called on the host's thread at exit, after every pipeline stopped.
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;
  RedisClient(RedisClient&&) = delete;
  RedisClient& operator=(RedisClient&&) = delete;

  [[nodiscard]] boost::asio::io_context& io() noexcept { return io_; }
  [[nodiscard]] const ClientOptions& options() const noexcept { return options_; }
  [[nodiscard]] sdk::Logger& log() noexcept { return log_; }
  [[nodiscard]] const std::shared_ptr<LoopGate>& gate() const noexcept { return gate_; }

  /// The command connection of `pipeline` (stable: the same pipeline always gets the same one).
  /// Any thread; the connection itself is used on the client's thread only.
  [[nodiscard]] std::shared_ptr<Connection> connection_for(std::string_view pipeline) const;
  /// A new connection of its own (a pipeline's reader). Client thread only.
  std::shared_ptr<Connection> dedicated(const std::string& role);
  /// Starts ticking `pipeline` until it is destroyed. Any thread.
  void attach(const std::shared_ptr<StreamPipeline>& pipeline);

 private:
  void tick();
  void shutdown();

  ClientOptions options_;
  sdk::Logger& log_;
  boost::asio::io_context io_;
  std::shared_ptr<LoopGate> gate_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::steady_timer tick_timer_;
  std::vector<std::shared_ptr<Connection>> pool_;
  std::vector<std::weak_ptr<Connection>> dedicated_;  // client thread only
  std::mutex attach_mutex_;
  std::vector<std::weak_ptr<StreamPipeline>> attached_;   // guarded by attach_mutex_
  std::vector<std::weak_ptr<StreamPipeline>> pipelines_;  // client thread only
  bool closing_ = false;
  std::thread thread_;
};

}  // namespace coyote::drivers::redis
