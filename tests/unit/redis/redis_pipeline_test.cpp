// The driver against a real redis-server started here (free port, temp dir, stopped by pid):
// the driver's thread, the host queue and acknowledgements meet as they do in the host.
#include "redis/redis_driver.hpp"
#include "support/map_config.hpp"
#include "support/push_now.hpp"
#include "support/test_queue.hpp"

#include <hiredis/hiredis.h>

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

using coyote::drivers::redis::RedisConstructor;
using coyote::sdk::Message;
using coyote::sdk::Pipeline;
using coyote::test::push_batch_now;
using coyote::test::push_now;
using namespace std::chrono_literals;

namespace {

class CaptureLogger final : public coyote::sdk::Logger {
 public:
  void log(coyote::sdk::LogLevel /*level*/, std::string_view /*message*/) override {}
  [[nodiscard]] bool enabled(coyote::sdk::LogLevel /*level*/) const override { return false; }
};

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  (void)::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  (void)::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// redis-server on a free loopback port with AOF in a temp dir; killed by pid at the end.
class Server {
 public:
  Server() : port_(free_port()), dir_(make_dir()), pid_(::fork()) {
    if (pid_ == 0) {
      // Dies with the test process, even when a sanitizer aborts it before ~Server.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      const std::string port = std::to_string(port_);
      ::execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
               "--dir", dir_.c_str(), "--appendonly", "yes", "--save", "", "--logfile", "redis.log",
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200 && !ping(); ++i) std::this_thread::sleep_for(20ms);
  }
  ~Server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  Server(Server&&) = delete;
  Server& operator=(Server&&) = delete;

  [[nodiscard]] bool up() { return ping(); }
  [[nodiscard]] std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

  /// An integer reply (XLEN, ZCARD, ...), or -1.
  [[nodiscard]] long long integer(const std::string& command) const {
    redisContext* c = redisConnect("127.0.0.1", port_);
    long long out = -1;
    if (c != nullptr && c->err == 0) {
      auto* r = static_cast<redisReply*>(redisCommand(c, command.c_str()));
      if (r != nullptr && r->type == REDIS_REPLY_INTEGER) out = r->integer;
      freeReplyObject(r);
    }
    redisFree(c);
    return out;
  }

 private:
  static std::string make_dir() {
    char tmpl[] = "/tmp/coyote-redis-unit-XXXXXX";
    return ::mkdtemp(tmpl);
  }

  [[nodiscard]] bool ping() const {
    redisContext* c = redisConnect("127.0.0.1", port_);
    bool ok = false;
    if (c != nullptr && c->err == 0) {
      auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
      ok = r != nullptr && r->type == REDIS_REPLY_STATUS;
      freeReplyObject(r);
    }
    redisFree(c);
    return ok;
  }

  int port_;
  std::string dir_;
  pid_t pid_;
};

Message job(const std::string& id, std::int64_t delay = 0) {
  Message m;
  m.id = id;
  m.name = "t";
  m.payload = "body-" + id;
  m.options.pipeline = "p";
  m.options.delay_seconds = delay;
  return m;
}

std::vector<Message> jobs(int n) {
  std::vector<Message> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) out.push_back(job("j" + std::to_string(i)));
  return out;
}

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

/// One redis pipeline "p" on stream "s" over a test queue.
struct Rig {
  explicit Rig(const std::string& url, std::string prefetch = "100")
      : queue(1000), constructor(config.set("redis.addr", url), logger) {
    driver = constructor.from_pipeline(
        Pipeline("p", "redis", 5, {{"stream", "s"}, {"prefetch", std::move(prefetch)}}), queue);
  }
  coyote::test::MapConfig config;
  CaptureLogger logger;
  coyote::test::TestQueue queue;
  RedisConstructor constructor;
  std::unique_ptr<coyote::sdk::Driver> driver;
};

}  // namespace

TEST_CASE("pushed jobs are delivered from the stream and acks delete them", "[redis][e2e]") {
  Server redis;
  if (!redis.up()) {
    WARN("redis-server is not installed; skipped");
    return;
  }
  Rig rig(redis.url());
  REQUIRE(push_batch_now(*rig.driver, jobs(50)).is_ok());
  CHECK(redis.integer("XLEN s") == 50);
  REQUIRE(rig.driver->run().is_ok());
  REQUIRE(rig.queue.wait_for_size(50, 10s));
  for (int i = 0; i < 50; ++i) {
    auto j = rig.queue.take();
    REQUIRE(j);
    CHECK(j->id() == "j" + std::to_string(i));  // FIFO within the stream
    CHECK(j->payload() == "body-j" + std::to_string(i));
    CHECK(j->priority() == 5);
    CHECK(j->context().find("\"driver\":\"redis\"") != std::string::npos);
    CHECK(j->ack().is_ok());
  }
  CHECK(eventually([&] { return redis.integer("XLEN s") == 0; }));
  CHECK(eventually([&] { return rig.driver->state().active == 0; }));
}

TEST_CASE("prefetch bounds the jobs delivered to this host and not yet settled", "[redis][e2e]") {
  Server redis;
  if (!redis.up()) return;
  Rig rig(redis.url(), "5");
  REQUIRE(push_batch_now(*rig.driver, jobs(20)).is_ok());
  REQUIRE(rig.driver->run().is_ok());
  REQUIRE(rig.queue.wait_for_size(5, 10s));
  std::this_thread::sleep_for(300ms);
  CHECK(rig.queue.size() == 5);
  for (int i = 0; i < 2; ++i) CHECK(rig.queue.take()->ack().is_ok());
  REQUIRE(rig.queue.wait_for_size(5, 10s));
  std::this_thread::sleep_for(300ms);
  CHECK(rig.queue.size() == 5);
  const auto s = rig.driver->state();
  CHECK(s.pipeline == "p");
  CHECK(s.queue == "s");
  CHECK(s.ready);
}

TEST_CASE("a delayed push and a delayed requeue wait in the sorted set, then run", "[redis][e2e]") {
  Server redis;
  if (!redis.up()) return;
  Rig rig(redis.url());
  REQUIRE(rig.driver->run().is_ok());
  REQUIRE(push_now(*rig.driver, job("later", 1)).is_ok());
  CHECK(redis.integer("ZCARD s:delayed") == 1);
  CHECK(rig.queue.size() == 0);
  REQUIRE(rig.queue.wait_for_size(1, 10s));
  auto first = rig.queue.take();
  CHECK(first->id() == "later");
  CHECK(redis.integer("ZCARD s:delayed") == 0);
  REQUIRE(first->requeue({{"retried", {"yes"}}}, 1s).is_ok());
  first.reset();
  CHECK(eventually([&] { return redis.integer("ZCARD s:delayed") == 1; }));
  REQUIRE(rig.queue.wait_for_size(1, 10s));
  auto again = rig.queue.take();
  CHECK(again->id() == "later");
  CHECK(again->headers().at("retried") == std::vector<std::string>{"yes"});
  CHECK(again->ack().is_ok());
  CHECK(eventually([&] { return redis.integer("XLEN s") == 0; }));
}

TEST_CASE("a job dropped by the host without an answer goes back to the stream", "[redis][e2e]") {
  Server redis;
  if (!redis.up()) return;
  Rig rig(redis.url());
  REQUIRE(rig.driver->run().is_ok());
  REQUIRE(push_now(*rig.driver, job("dropped")).is_ok());
  REQUIRE(rig.queue.wait_for_size(1, 10s));
  rig.queue.take().reset();  // what the host does to queued jobs at stop
  REQUIRE(rig.queue.wait_for_size(1, 10s));
  auto back = rig.queue.take();
  CHECK(back->id() == "dropped");
  CHECK(!back->headers().contains("X-Coyote-Attempt"));  // never ran: not a new attempt
  CHECK(back->ack().is_ok());
}

TEST_CASE("a push while Redis is unreachable fails with the reason, and the driver recovers",
          "[redis][e2e]") {
  const int port = free_port();
  coyote::test::MapConfig config;
  config.set("redis.addr", "redis://127.0.0.1:" + std::to_string(port))
      .set("redis.command_timeout", std::string("600ms"))
      .set("redis.reconnect_max", std::string("200ms"));
  CaptureLogger logger;
  coyote::test::TestQueue queue(10);
  RedisConstructor constructor(config, logger);
  auto driver = constructor.from_pipeline(Pipeline("p", "redis", 5, {{"stream", "s"}}), queue);
  const auto refused = push_now(*driver, job("x"));
  REQUIRE_FALSE(refused.is_ok());
  CHECK_THAT(refused.message(),
             Catch::Contains("not connected") && Catch::Contains("redis.command_timeout"));
  CHECK(eventually([&] { return !driver->state().error.empty(); }));
  CHECK_THAT(driver->state().error, Catch::Contains("reconnecting"));
}
