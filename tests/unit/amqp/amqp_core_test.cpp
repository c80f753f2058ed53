// The amqp core's threads without a broker: an unreachable address exercises the I/O thread,
// the command queue, the fail-fast push path, state() from another thread and a clean shutdown
// (the broker paths are tested end to end against a real rabbitmq-server).
#include "amqp/amqp_driver.hpp"
#include "jobs/priority_queue.hpp"
#include "support/push_now.hpp"

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <atomic>
#include <mutex>
#include <thread>

using namespace coyote::drivers::amqp;
using coyote::host::jobs::PriorityQueue;

namespace {

class RecordingLogger final : public coyote::sdk::Logger {
 public:
  void log(coyote::sdk::LogLevel, std::string_view message) override {
    std::lock_guard lock(mutex_);
    text_ += std::string(message) + "\n";
  }
  [[nodiscard]] bool enabled(coyote::sdk::LogLevel) const override { return true; }
  std::string text() {
    std::lock_guard lock(mutex_);
    return text_;
  }

 private:
  std::mutex mutex_;
  std::string text_;
};

/// A loopback port with nothing listening (bound, then closed).
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

struct Rig {
  explicit Rig(std::string queue_name = "q") : queue(io, 100) {
    GlobalSettings g;
    g.addr = "amqp://guest:secret@127.0.0.1:" + std::to_string(closed_port()) + "/";
    parse_addr(g);
    g.reconnect_initial = std::chrono::milliseconds{5};
    g.reconnect_max = std::chrono::milliseconds{20};
    PipelineSettings s;
    s.name = "p";
    s.queue = std::move(queue_name);
    s.routing_key = "q";
    core = std::make_shared<AmqpCore>(queue, log, g, s, std::chrono::seconds{2});
    core->start();
    driver = std::make_unique<AmqpDriver>(core);
  }
  bool wait_error(const std::string& needle) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    while (std::chrono::steady_clock::now() < deadline) {
      if (driver->state().error.find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
    return false;
  }
  boost::asio::io_context io;
  PriorityQueue queue;
  RecordingLogger log;
  std::shared_ptr<AmqpCore> core;
  std::unique_ptr<AmqpDriver> driver;
};

coyote::sdk::Message job(std::string id) {
  coyote::sdk::Message m;
  m.id = std::move(id);
  m.name = "J";
  m.options.pipeline = "p";
  return m;
}

}  // namespace

TEST_CASE("amqp pushes fail fast with the reason while the broker is unreachable", "[amqp][core]") {
  Rig rig;
  // A push made during the first attempt waits for it, then fails with its reason.
  auto first = coyote::test::push_now(*rig.driver, job("first"));
  CHECK_FALSE(first);
  REQUIRE(rig.wait_error("cannot connect"));
  auto status = coyote::test::push_now(*rig.driver, job("later"));
  REQUIRE_FALSE(status);
  CHECK_THAT(status.message(), Catch::Contains("not connected to the broker at "
                                               "amqp://guest:***@127.0.0.1:") &&
                                   Catch::Contains("retry it; Coyote reconnects by itself"));
  CHECK(status.message().find("secret") == std::string::npos);
  CHECK_FALSE(coyote::test::push_batch_now(*rig.driver, {job("b1"), job("b2")}));
  CHECK_THAT(rig.log.text(), Catch::Contains("retrying (attempt"));
}

TEST_CASE("amqp keeps redialling with backoff and reports each attempt", "[amqp][core]") {
  Rig rig;
  REQUIRE(rig.wait_error("(attempt 4,"));
  CHECK_THAT(rig.driver->state().error, Catch::Contains("Connection refused"));
}

TEST_CASE("amqp run, pause and resume answer in RoadRunner's words", "[amqp][core]") {
  Rig rig;
  CHECK(rig.driver->pause().message() == "no active listeners, nothing to pause");
  REQUIRE(rig.driver->run());
  CHECK(rig.driver->state().ready);
  CHECK(rig.driver->resume().message() == "amqp listener is already in the active state");
  REQUIRE(rig.driver->pause());
  CHECK_FALSE(rig.driver->state().ready);
  REQUIRE(rig.driver->resume());
  REQUIRE(rig.driver->stop());
  CHECK_FALSE(coyote::test::push_now(*rig.driver, job("after-stop")));
}

TEST_CASE("amqp producer-only pipelines refuse to consume", "[amqp][core]") {
  Rig rig("");
  const auto expected =
      "empty queue name, consider adding the queue name to the AMQP configuration";
  CHECK(rig.driver->run().message() == expected);
  CHECK(rig.driver->pause().message() == expected);
  CHECK(rig.driver->resume().message() == expected);
}

TEST_CASE("amqp state can be read while the I/O thread works, and shutdown joins it",
          "[amqp][core]") {
  auto rig = std::make_unique<Rig>();
  REQUIRE(rig->driver->run());
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    // The host reads state() on its loop thread; this stands in for it while pushes land.
    while (!stop) (void)rig->core->state();
  });
  for (int i = 0; i < 50; ++i) (void)coyote::test::push_now(*rig->driver, job(std::to_string(i)));
  stop = true;
  reader.join();
  rig->driver.reset();  // joins the I/O thread
  CHECK(rig->core->stopped());
  CHECK(rig->core.use_count() == 1);
}
