#include "memory/memory_driver.hpp"
#include "jobs/priority_queue.hpp"
#include "support/map_config.hpp"
#include "support/push_now.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <dirent.h>

#include <climits>
#include <fstream>
#include <mutex>
#include <sstream>

using coyote::drivers::memory::MemoryConstructor;
using coyote::host::jobs::PriorityQueue;
using coyote::sdk::Pipeline;

namespace {

class NullLogger final : public coyote::sdk::Logger {
 public:
  void log(coyote::sdk::LogLevel, std::string_view) override {}
  [[nodiscard]] bool enabled(coyote::sdk::LogLevel) const override { return false; }
};

coyote::sdk::Message job(std::string id, std::int64_t delay_seconds = 0) {
  coyote::sdk::Message m;
  m.id = std::move(id);
  m.name = "t";
  m.payload = "body";
  m.options.pipeline = "mem";
  m.options.delay_seconds = delay_seconds;
  return m;
}

/// Keeps every line logged, for the tests that check what a stop reports.
class RecordingLogger final : public coyote::sdk::Logger {
 public:
  void log(coyote::sdk::LogLevel, std::string_view message) override {
    std::lock_guard lock(mutex_);
    lines_.emplace_back(message);
  }
  [[nodiscard]] bool enabled(coyote::sdk::LogLevel) const override { return true; }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

std::size_t thread_count() {
  std::size_t n = 0;
  if (DIR* dir = opendir("/proc/self/task")) {
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] != '.') ++n;
    }
    closedir(dir);
  }
  return n;
}

/// A memory pipeline on a real host queue.
struct Rig {
  explicit Rig(std::string prefetch = "3", std::size_t queue_capacity = 1000)
      : queue(io, queue_capacity), constructor(config, logger) {
    driver = constructor.from_pipeline(
        Pipeline("mem", "memory", 4, {{"prefetch", std::move(prefetch)}}), queue);
  }
  coyote::test::MapConfig config;
  NullLogger logger;
  boost::asio::io_context io;
  PriorityQueue queue;
  MemoryConstructor constructor;
  std::unique_ptr<coyote::sdk::Driver> driver;
};

}  // namespace

TEST_CASE("memory driver keeps at most prefetch jobs in flight", "[memory]") {
  Rig rig("3");
  REQUIRE(rig.driver->run());
  for (int i = 0; i < 5; ++i) REQUIRE(coyote::test::push_now(*rig.driver, job(std::to_string(i))));
  CHECK(rig.queue.size() == 3);
  CHECK(rig.driver->state().active == 5);  // 3 in flight, 2 buffered
  auto first = rig.queue.take();
  REQUIRE(first);
  CHECK(first->job->id() == "0");
  CHECK(first->job->priority() == 4);  // 0 became the pipeline priority
  CHECK(rig.queue.size() == 2);        // taken but not acked: still in flight
  REQUIRE(first->job->ack());
  CHECK(rig.queue.size() == 3);
  CHECK(rig.driver->state().active == 4);
}

TEST_CASE("paused memory pipeline keeps accepting pushes and moves them on resume", "[memory]") {
  Rig rig("100");
  CHECK(rig.driver->pause().message() == "no active listeners, nothing to pause");
  REQUIRE(coyote::test::push_now(*rig.driver, job("before-run")));
  CHECK(rig.queue.size() == 0);  // never started: nothing moves
  REQUIRE(rig.driver->resume());
  CHECK(rig.queue.size() == 1);
  CHECK(rig.driver->resume().message() == "memory listener is already in the active state");
  REQUIRE(rig.driver->pause());
  CHECK_FALSE(rig.driver->state().ready);
  REQUIRE(coyote::test::push_now(*rig.driver, job("while-paused")));
  CHECK(rig.queue.size() == 1);
  // jobs.Stat shows the held job while paused (it used to say 0 until resume).
  CHECK(rig.driver->state().active == 2);
  REQUIRE(rig.driver->resume());
  CHECK(rig.queue.size() == 2);
  CHECK(rig.driver->state().ready);
}

TEST_CASE("stopping a memory pipeline drops its jobs and refuses later acknowledgements",
          "[memory]") {
  Rig rig("1");
  REQUIRE(rig.driver->run());
  REQUIRE(coyote::test::push_now(*rig.driver, job("running")));
  REQUIRE(coyote::test::push_now(*rig.driver, job("buffered")));
  REQUIRE(coyote::test::push_now(*rig.driver, job("delayed", 60)));
  auto running = rig.queue.take();
  REQUIRE(running);
  CHECK(rig.driver->state().delayed == 1);
  REQUIRE(rig.driver->stop());
  CHECK(rig.driver->state().delayed == 0);
  CHECK(rig.queue.size() == 0);
  CHECK(running->job->ack().message() ==
        "failed to acknowledge the JOB, the pipeline is probably stopped");
  CHECK_FALSE(coyote::test::push_now(*rig.driver, job("late")));
}

TEST_CASE("a delayed job enters the queue only once its delay has passed", "[memory]") {
  Rig rig("10");
  REQUIRE(rig.driver->run());
  const auto pushed = std::chrono::steady_clock::now();
  REQUIRE(coyote::test::push_now(*rig.driver, job("later", 1)));
  CHECK(rig.queue.size() == 0);
  CHECK(rig.driver->state().delayed == 1);
  REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.queue.size() == 1; }));
  CHECK(std::chrono::steady_clock::now() - pushed >= std::chrono::seconds{1});
  auto taken = rig.queue.take();
  REQUIRE(taken);
  CHECK(rig.driver->state().delayed == 1);  // RoadRunner counts it until acked
  SECTION("requeue with a delay waits again with merged headers") {
    REQUIRE(taken->job->requeue({{"attempt", {"2"}}}, std::chrono::seconds{1}));
    CHECK(rig.queue.size() == 0);
    CHECK(rig.driver->state().delayed == 1);
    REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.queue.size() == 1; }));
    auto again = rig.queue.take();
    CHECK(again->job->id() == "later");
    CHECK(again->job->headers().at("attempt") == std::vector<std::string>{"2"});
    REQUIRE(again->job->ack());
  }
  SECTION("ack settles it") { REQUIRE(taken->job->ack()); }
  CHECK(rig.driver->state().delayed == 0);
  CHECK(rig.driver->state().active == 0);
}

TEST_CASE("a hundred thousand delayed jobs share one timer thread", "[memory]") {
  Rig rig("10");
  REQUIRE(rig.driver->run());
  // The first delayed job starts the timer thread; measure from there, because a sanitizer
  // runtime may start threads of its own at any time before (TSan's background thread).
  REQUIRE(coyote::test::push_now(*rig.driver, job("first", 3600)));
  const std::size_t with_timer = thread_count();
  for (int i = 0; i < 100'000; ++i) {
    REQUIRE(coyote::test::push_now(*rig.driver, job(std::to_string(i), 3600 + i % 100)));
  }
  CHECK(thread_count() == with_timer);
  CHECK(rig.driver->state().delayed == 100'001);
  CHECK(rig.queue.size() == 0);
  REQUIRE(rig.driver->stop());  // must not wait for the delays
  CHECK(rig.driver->state().delayed == 0);
}

TEST_CASE("memory driver waits for room when the host queue is full", "[memory]") {
  Rig rig("10", 1);
  REQUIRE(rig.driver->run());
  REQUIRE(coyote::test::push_now(*rig.driver, job("a")));
  REQUIRE(coyote::test::push_now(*rig.driver, job("b")));
  REQUIRE(coyote::test::push_now(*rig.driver, job("c")));
  CHECK(rig.queue.size() == 1);
  CHECK(rig.driver->state().active == 3);  // 1 in the host queue, 2 waiting for room
  auto a = rig.queue.take();
  REQUIRE(a);
  CHECK(a->job->id() == "a");
  REQUIRE(coyote::test::run_until(rig.io, [&] { return rig.queue.size() == 1; }));
  auto b = rig.queue.take();
  CHECK(b->job->id() == "b");
  CHECK(rig.driver->state().active == 3);
}

TEST_CASE("memory state reports RoadRunner's fields", "[memory]") {
  Rig rig("5");
  auto s = rig.driver->state();
  CHECK(s.pipeline == "mem");
  CHECK(s.queue == "mem");
  CHECK(s.driver == "memory");
  CHECK(s.priority == 4);
  CHECK(s.reserved == 0);
  CHECK_FALSE(s.ready);
  REQUIRE(rig.driver->run());
  CHECK(rig.driver->state().ready);
}

TEST_CASE("memory driver validates prefetch and defaults it to RoadRunner's 100000", "[memory]") {
  coyote::test::MapConfig config;
  NullLogger logger;
  boost::asio::io_context io;
  PriorityQueue queue(io, 10);
  MemoryConstructor constructor(config, logger);
  CHECK_THROWS_WITH(
      constructor.from_pipeline(Pipeline("m", "memory", 10, {{"prefetch", "-1"}}), queue),
      Catch::Contains("prefetch must be a positive"));
  config.set("jobs.pipelines.m.config.prefetch", std::int64_t{0});
  CHECK_THROWS_AS(
      constructor.from_config("jobs.pipelines.m.config", queue, Pipeline("m", "memory", 10)),
      coyote::sdk::ConfigError);
  CHECK(coyote::drivers::memory::kDefaultPrefetch == 100'000);
  auto driver = constructor.from_pipeline(Pipeline("m", "memory", 10), queue);
  REQUIRE(driver->run());
  for (int i = 0; i < 8; ++i) REQUIRE(coyote::test::push_now(*driver, job(std::to_string(i))));
  CHECK(queue.size() == 8);  // not limited by a small prefetch
}

TEST_CASE("jobs handed back while paused wait in the buffer, oldest first, until resume",
          "[memory]") {
  // The host's graceful drain: pause, take the queued jobs out, nack them with redelivery.
  Rig rig("100");
  REQUIRE(rig.driver->run());
  REQUIRE(coyote::test::push_now(*rig.driver, job("a")));
  REQUIRE(coyote::test::push_now(*rig.driver, job("b")));
  REQUIRE(rig.driver->pause());
  auto returned = rig.queue.remove("mem");
  REQUIRE(returned.size() == 2);
  for (auto& j : returned) REQUIRE(j->nack_with_options(true, std::chrono::seconds{0}));
  CHECK(rig.queue.size() == 0);
  CHECK(rig.driver->state().active == 2);  // back in the buffer, still held
  REQUIRE(rig.driver->resume());
  REQUIRE(rig.queue.size() == 2);
  auto first = rig.queue.take();
  REQUIRE(first);
  CHECK(first->job->id() == "a");
}

TEST_CASE("a requeue merges the attempt header and keeps the job's own headers", "[memory]") {
  Rig rig("100");
  REQUIRE(rig.driver->run());
  auto m = job("h");
  m.headers["mine"] = {"1"};
  REQUIRE(coyote::test::push_now(*rig.driver, std::move(m)));
  auto taken = rig.queue.take();
  REQUIRE(taken);
  REQUIRE(taken->job->requeue({{"X-Coyote-Attempt", {"2"}}}, std::chrono::seconds{0}));
  auto again = rig.queue.take();
  REQUIRE(again);
  CHECK(again->job->headers() ==
        coyote::sdk::Headers{{"X-Coyote-Attempt", {"2"}}, {"mine", {"1"}}});
}

TEST_CASE("a job that waited in the paused buffer reaches the queue with every field intact",
          "[memory]") {
  Rig rig("100");
  auto m = job("waited");
  m.name = "App\\Jobs\\Report";
  m.payload = std::string(300, 'x');
  m.headers["tenant"] = {"acme"};
  m.options.priority = 2;
  m.options.auto_ack = true;
  REQUIRE(
      coyote::test::push_now(*rig.driver, std::move(m)));  // not running yet: packed in the buffer
  CHECK(rig.queue.size() == 0);
  REQUIRE(rig.driver->run());
  auto taken = rig.queue.take();
  REQUIRE(taken);
  CHECK(taken->job->id() == "waited");
  CHECK(taken->job->name() == "App\\Jobs\\Report");
  CHECK(taken->job->payload() == std::string(300, 'x'));
  CHECK(taken->job->headers() == coyote::sdk::Headers{{"tenant", {"acme"}}});
  CHECK(taken->job->priority() == 2);
  CHECK(taken->job->auto_ack());
  CHECK(taken->job->pipeline() == "mem");
}

TEST_CASE("pushes go straight to the queue while running and keep FIFO order behind a backlog",
          "[memory]") {
  Rig rig("2");
  REQUIRE(rig.driver->run());
  for (const char* id : {"1", "2", "3", "4"}) REQUIRE(coyote::test::push_now(*rig.driver, job(id)));
  CHECK(rig.queue.size() == 2);  // 3 and 4 wait, packed
  std::vector<std::string> order;
  while (auto t = rig.queue.take()) {
    order.push_back(t->job->id());
    REQUIRE(t->job->ack());  // frees a slot: the oldest waiting job moves before any new push
    if (order.size() == 1) REQUIRE(coyote::test::push_now(*rig.driver, job("5")));
  }
  CHECK(order == std::vector<std::string>{"1", "2", "3", "4", "5"});
}

TEST_CASE("memory push_batch holds every job in order and stops at the first refusal", "[memory]") {
  Rig rig("100");
  REQUIRE(rig.driver->run());
  std::vector<coyote::sdk::Message> batch;
  for (const char* id : {"b1", "b2", "b3"}) batch.push_back(job(id));
  REQUIRE(coyote::test::push_batch_now(*rig.driver, std::move(batch)));
  std::vector<std::string> order;
  while (auto t = rig.queue.take()) order.push_back(t->job->id());
  CHECK(order == std::vector<std::string>{"b1", "b2", "b3"});

  REQUIRE(rig.driver->stop());
  std::vector<coyote::sdk::Message> refused;
  refused.push_back(job("late"));
  CHECK_FALSE(coyote::test::push_batch_now(*rig.driver, std::move(refused)));
}

TEST_CASE("ten thousand memory pipelines holding delayed jobs share one timer thread", "[memory]") {
  // Issue 12 item 12: a thread per pipeline holding a delayed job made 10 000 pipelines 10 001
  // threads. Measured from the first delayed job on, as above (sanitizers start threads too).
  coyote::test::MapConfig config;
  NullLogger logger;
  boost::asio::io_context io;
  PriorityQueue queue(io, 100'000);
  MemoryConstructor constructor(config, logger);
  std::vector<std::unique_ptr<coyote::sdk::Driver>> drivers;
  auto pipeline_with_delayed_job = [&](int i) {
    const std::string name = "mem-" + std::to_string(i);
    drivers.push_back(constructor.from_pipeline(Pipeline(name, "memory", 4, {}), queue));
    REQUIRE(drivers.back()->run());
    auto m = job("d-" + std::to_string(i), 3600);
    m.options.pipeline = name;
    REQUIRE(coyote::test::push_now(*drivers.back(), std::move(m)));
  };
  pipeline_with_delayed_job(0);
  const std::size_t with_timer = thread_count();
  for (int i = 1; i < 10'000; ++i) pipeline_with_delayed_job(i);
  CHECK(thread_count() == with_timer);
  for (auto& d : drivers) CHECK(d->state().delayed == 1);
  drivers.clear();
}

TEST_CASE("delayed jobs of many pipelines are released by the shared timer in due order",
          "[memory]") {
  coyote::test::MapConfig config;
  NullLogger logger;
  boost::asio::io_context io;
  PriorityQueue queue(io, 100);
  MemoryConstructor constructor(config, logger);
  auto late = constructor.from_pipeline(Pipeline("late", "memory", 4, {}), queue);
  auto soon = constructor.from_pipeline(Pipeline("soon", "memory", 4, {}), queue);
  REQUIRE(late->run());
  REQUIRE(soon->run());
  auto m = job("late-job", 2);
  m.options.pipeline = "late";
  REQUIRE(coyote::test::push_now(*late, std::move(m)));
  m = job("soon-job", 1);
  m.options.pipeline = "soon";
  REQUIRE(coyote::test::push_now(*soon, std::move(m)));
  REQUIRE(coyote::test::run_until(io, [&] { return queue.size() == 1; }));
  CHECK(queue.take()->job->id() == "soon-job");
  CHECK(late->state().delayed == 1);
  REQUIRE(coyote::test::run_until(io, [&] { return queue.size() == 1; }));
  CHECK(queue.take()->job->id() == "late-job");
  // A stopped pipeline's pending wake-up finds nothing, and the other pipeline is unaffected.
  m = job("dropped", 1);
  m.options.pipeline = "soon";
  REQUIRE(coyote::test::push_now(*soon, std::move(m)));
  REQUIRE(soon->stop());
  m = job("kept", 1);
  m.options.pipeline = "late";
  REQUIRE(coyote::test::push_now(*late, std::move(m)));
  REQUIRE(coyote::test::run_until(io, [&] { return queue.size() == 1; }));
  CHECK(queue.take()->job->id() == "kept");
}

TEST_CASE("a delay too long to represent is held, never released at once", "[memory]") {
  // Issue 12 item 10: now + 2^62 s overflowed into the past, so such jobs ran at once and a
  // requeue with such a delay redelivered in a storm. Held for 100 years instead.
  const std::int64_t delay = GENERATE(std::int64_t{1} << 62, std::int64_t{INT64_MAX},
                                      std::int64_t{10'000'000'000}, std::int64_t{3'155'760'001});
  Rig rig("10");
  REQUIRE(rig.driver->run());
  REQUIRE(coyote::test::push_now(*rig.driver, job("pushed", delay)));
  REQUIRE(coyote::test::push_now(*rig.driver, job("requeued")));
  auto taken = rig.queue.take();
  REQUIRE(taken);
  REQUIRE(taken->job->requeue({}, std::chrono::seconds{delay}));
  CHECK_FALSE(coyote::test::run_until(
      rig.io, [&] { return rig.queue.size() > 0; }, std::chrono::milliseconds{300}));
  CHECK(rig.driver->state().delayed == 2);
}

TEST_CASE("stopping a memory pipeline counts what it drops and names the jobs in a file",
          "[memory]") {
  // Issue 12 item 6: a stop (shutdown, jobs.Destroy) dropped the buffered jobs silently.
  coyote::test::TempDir dir;
  const char* old_tmp = std::getenv("TMPDIR");
  const std::string saved = old_tmp != nullptr ? old_tmp : "";
  ::setenv("TMPDIR", dir.path().c_str(), 1);
  coyote::test::MapConfig config;
  RecordingLogger logger;
  boost::asio::io_context io;
  PriorityQueue queue(io, 100);
  MemoryConstructor constructor(config, logger);
  auto driver = constructor.from_pipeline(Pipeline("mem", "memory", 4, {{"prefetch", "1"}}), queue);
  REQUIRE(driver->run());
  REQUIRE(coyote::test::push_now(*driver, job("in-queue")));
  REQUIRE(coyote::test::push_now(*driver, job("waiting-1")));
  REQUIRE(coyote::test::push_now(*driver, job("waiting\n2")));
  REQUIRE(coyote::test::push_now(*driver, job("later", 600)));
  // The host takes its queued jobs out before it stops a driver (the SDK contract).
  auto removed = queue.remove("mem");
  REQUIRE(removed.size() == 1);
  removed.clear();
  REQUIRE(driver->stop());
  if (saved.empty()) {
    ::unsetenv("TMPDIR");
  } else {
    ::setenv("TMPDIR", saved.c_str(), 1);
  }
  std::string warning;
  for (const auto& line : logger.lines()) {
    if (line.find("stopped holding") != std::string::npos) warning = line;
  }
  REQUIRE_THAT(warning, Catch::Contains("memory pipeline mem stopped holding 3 job(s) (2 waiting, "
                                        "1 delayed)"));
  const auto at = warning.find("their ids are in ");
  REQUIRE(at != std::string::npos);
  std::ifstream file(warning.substr(at + 17));
  std::stringstream text;
  text << file.rdbuf();
  CHECK_THAT(text.str(), Catch::Contains("waiting-1\tt\twaiting\n"));
  CHECK_THAT(text.str(), Catch::Contains("waiting\\x0a2\tt\twaiting\n"));
  CHECK_THAT(text.str(), Catch::Contains("later\tt\tdelayed\n"));
  // Stopping again reports nothing more.
  REQUIRE(driver->stop());
  const auto lines = logger.lines();
  CHECK(std::count_if(lines.begin(), lines.end(), [](const std::string& l) {
          return l.find("stopped holding") != std::string::npos;
        }) == 1);
}

TEST_CASE("a memory job's context is byte for byte the SDK's default rendering", "[memory]") {
  Rig rig("10");
  REQUIRE(rig.driver->run());
  auto m = job("id-\"1\"\\x");
  m.name = "App\\Job\\Noop";
  m.headers["traceparent"] = {"00-abc-01"};
  m.headers["k\n"] = {"a", "b\"c"};
  REQUIRE(coyote::test::push_now(*rig.driver, std::move(m)));
  REQUIRE(coyote::test::push_now(*rig.driver, job("plain")));
  for (int i = 0; i < 2; ++i) {
    auto taken = rig.queue.take();
    REQUIRE(taken);
    const coyote::sdk::Job& j = *taken->job;
    std::string fast;
    j.write_context(fast);
    std::string reference;
    j.coyote::sdk::Job::write_context(reference);
    CHECK(fast == reference);
    CHECK(fast.find(R"("driver":"memory")") != std::string::npos);
    CHECK(fast.ends_with(R"(,"pipeline":"mem"})"));
    REQUIRE(taken->job->ack());
  }
}
