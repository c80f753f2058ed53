#include "redis/redis_client.hpp"

#include "redis/stream_pipeline.hpp"

#include <boost/asio/post.hpp>

#include <unistd.h>

#include <chrono>
#include <functional>

namespace coyote::drivers::redis {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
constexpr auto kTick = 100ms;
// At exit: how long replies still due (the last acks) may take before connections are cut.
constexpr auto kShutdownGrace = 3s;
}  // namespace

RedisClient::RedisClient(ClientOptions options, sdk::Logger& log)
    : options_(std::move(options)),
      log_(log),
      gate_(std::make_shared<LoopGate>(io_)),
      work_(asio::make_work_guard(io_)),
      tick_timer_(io_) {
  const std::string name = "coyote:" + default_consumer_name();
  for (int i = 0; i < options_.pool_size; ++i) {
    ConnectionSettings s;
    s.endpoint = options_.endpoint;
    s.connect_timeout = options_.connect_timeout;
    s.command_timeout = options_.command_timeout;
    s.reconnect_max = options_.reconnect_max;
    s.client_name = name;
    s.role = options_.pool_size == 1 ? "commands" : "commands #" + std::to_string(i + 1);
    pool_.push_back(Connection::create(io_, std::move(s), log_));
  }
  asio::post(io_, [this] {
    for (auto& c : pool_) c->start();
    tick();
  });
  thread_ = std::thread([this] { io_.run(); });
}

RedisClient::~RedisClient() {
  try {
    shutdown();
  } catch (...) {  // NOLINT(bugprone-empty-catch): nothing to report to at exit
  }
}

void RedisClient::shutdown() {
  asio::post(io_, [this] {
    closing_ = true;
    tick_timer_.cancel();
    for (auto& c : pool_) c->shutdown();
    for (auto& weak : dedicated_) {
      if (auto c = weak.lock()) c->shutdown();
    }
  });
  work_.reset();
  // io_.run() returns once every connection closed; past the grace period it is cut short.
  const auto deadline = std::chrono::steady_clock::now() + kShutdownGrace;
  while (!io_.stopped() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  io_.stop();
  if (thread_.joinable()) thread_.join();
  // The thread is gone: whatever is still open is closed here, on this thread, before the
  // io_context (and the handlers it still holds) is destroyed.
  gate_->close();
  for (auto& c : pool_) c->abort("the host is exiting");
  for (auto& weak : dedicated_) {
    if (auto c = weak.lock()) c->abort("the host is exiting");
  }
  {
    std::lock_guard lock(attach_mutex_);
    for (auto& p : attached_) pipelines_.push_back(std::move(p));
    attached_.clear();
  }
  for (auto& weak : pipelines_) {
    if (auto p = weak.lock()) p->detach();
  }
  pool_.clear();
}

std::shared_ptr<Connection> RedisClient::connection_for(std::string_view pipeline) const {
  const std::size_t index = std::hash<std::string_view>{}(pipeline) % pool_.size();
  return pool_[index];
}

std::shared_ptr<Connection> RedisClient::dedicated(const std::string& role) {
  ConnectionSettings s;
  s.endpoint = options_.endpoint;
  s.connect_timeout = options_.connect_timeout;
  s.command_timeout = options_.command_timeout;
  s.reconnect_max = options_.reconnect_max;
  s.client_name = "coyote:" + default_consumer_name();
  s.role = role;
  auto c = Connection::create(io_, std::move(s), log_);
  std::erase_if(dedicated_, [](const auto& w) { return w.expired(); });
  dedicated_.push_back(c);
  if (closing_) c->shutdown();
  return c;
}

void RedisClient::attach(const std::shared_ptr<StreamPipeline>& pipeline) {
  std::lock_guard lock(attach_mutex_);
  attached_.push_back(pipeline);
}

void RedisClient::tick() {
  if (closing_) return;
  {
    std::lock_guard lock(attach_mutex_);
    for (auto& p : attached_) pipelines_.push_back(std::move(p));
    attached_.clear();
  }
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(pipelines_, [](const auto& w) { return w.expired(); });
  for (auto& weak : pipelines_) {
    if (auto p = weak.lock()) p->tick(now);
  }
  tick_timer_.expires_after(kTick);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

}  // namespace coyote::drivers::redis
