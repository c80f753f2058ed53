#include "jobs/priority_queue.hpp"
#include "support/fake_job.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <thread>

using coyote::host::jobs::PriorityQueue;
using coyote::test::FakeJob;

namespace {

bool add(PriorityQueue& q, std::string id, std::int64_t priority, std::string pipeline = "p") {
  std::unique_ptr<coyote::sdk::Job> job =
      std::make_unique<FakeJob>(std::move(id), priority, std::move(pipeline));
  return q.try_insert(job);
}

std::string next_id(PriorityQueue& q) {
  auto taken = q.take();
  return taken ? taken->job->id() : std::string("<empty>");
}

}  // namespace

TEST_CASE("queue serves lower priorities first and equal priorities in insertion order",
          "[queue]") {
  boost::asio::io_context io;
  PriorityQueue q(io, 100);
  add(q, "b1", 5);
  add(q, "a1", 1);
  add(q, "b2", 5);
  add(q, "c1", 9);
  add(q, "a2", 1);
  for (int i = 3; i < 40; ++i) add(q, "b" + std::to_string(i), 5);
  CHECK(next_id(q) == "a1");
  CHECK(next_id(q) == "a2");
  for (int i = 1; i < 40; ++i) CHECK(next_id(q) == "b" + std::to_string(i));
  CHECK(next_id(q) == "c1");
  CHECK(next_id(q) == "<empty>");
}

TEST_CASE("queue refuses inserts beyond its capacity and calls on_room when room frees",
          "[queue]") {
  boost::asio::io_context io;
  PriorityQueue q(io, 2);
  REQUIRE(add(q, "1", 1));
  REQUIRE(add(q, "2", 1));
  std::unique_ptr<coyote::sdk::Job> third = std::make_unique<FakeJob>("3", 1);
  CHECK_FALSE(q.try_insert(third));
  CHECK(third != nullptr);  // left untouched
  CHECK(q.size() == 2);
  CHECK(q.capacity() == 2);

  int called = 0;
  q.on_room([&] { ++called; });
  coyote::test::drain(io);
  CHECK(called == 0);

  SECTION("after a take") { (void)q.take(); }
  SECTION("after a remove") { CHECK(q.remove("p").size() == 2); }
  coyote::test::drain(io);
  CHECK(called == 1);
  CHECK(q.try_insert(third));
}

TEST_CASE("on_room with room available now runs on the next poll, never inline", "[queue]") {
  boost::asio::io_context io;
  PriorityQueue q(io, 2);
  int called = 0;
  q.on_room([&] { ++called; });
  CHECK(called == 0);
  coyote::test::drain(io);
  CHECK(called == 1);
}

TEST_CASE("an on_room callback that throws is the driver's error, the loop goes on", "[queue]") {
  boost::asio::io_context io;
  PriorityQueue q(io, 2);
  int after = 0;
  q.on_room([] { throw std::runtime_error("room callback exploded"); });
  q.on_room([&] { ++after; });
  CHECK_NOTHROW(coyote::test::drain(io));
  CHECK(after == 1);
}

TEST_CASE("blocking insert waits for room until its timeout", "[queue]") {
  boost::asio::io_context io;
  PriorityQueue q(io, 1);
  REQUIRE(add(q, "1", 1));
  std::unique_ptr<coyote::sdk::Job> job = std::make_unique<FakeJob>("2", 1);
  CHECK_FALSE(q.insert(job, std::chrono::milliseconds{10}));
  CHECK(job != nullptr);

  bool inserted = false;
  std::thread producer([&] { inserted = q.insert(job, std::chrono::seconds{10}); });
  CHECK(next_id(q) == "1");  // frees the room the producer waits for
  producer.join();
  CHECK(inserted);
  CHECK(next_id(q) == "2");
}

TEST_CASE("remove returns one pipeline's queued jobs oldest first and keeps the others",
          "[queue]") {
  boost::asio::io_context io;
  PriorityQueue q(io, 100);
  add(q, "x1", 5, "x");
  add(q, "y1", 1, "y");
  add(q, "x2", 1, "x");
  add(q, "y2", 3, "y");
  add(q, "x3", 9, "x");
  auto removed = q.remove("x");
  REQUIRE(removed.size() == 3);
  CHECK(removed[0]->id() == "x1");
  CHECK(removed[1]->id() == "x2");
  CHECK(removed[2]->id() == "x3");
  CHECK(q.size() == 2);
  CHECK(next_id(q) == "y1");
  CHECK(next_id(q) == "y2");
  CHECK(q.remove("nope").empty());
}

TEST_CASE("queue coalesces job-arrival notices into one posted wake-up", "[queue]") {
  boost::asio::io_context io;
  PriorityQueue q(io, 1000);
  int wakeups = 0;
  q.set_on_job([&] { ++wakeups; });
  for (int i = 0; i < 100; ++i) add(q, std::to_string(i), 1);
  CHECK(wakeups == 0);  // never called inline from the inserting thread
  coyote::test::drain(io);
  CHECK(wakeups == 1);

  SECTION("a later insert gets its own wake-up") {
    add(q, "late", 1);
    coyote::test::drain(io);
    CHECK(wakeups == 2);
  }
  SECTION("an insert from another thread wakes the loop") {
    std::thread producer([&] { add(q, "remote", 1); });
    producer.join();
    CHECK(coyote::test::run_until(io, [&] { return wakeups == 2; }));
  }
}

TEST_CASE("restore puts a taken job back ahead of its priority's later arrivals", "[queue]") {
  boost::asio::io_context io;
  PriorityQueue q(io, 100);
  add(q, "x1", 3);
  add(q, "x2", 3);
  auto taken = q.take();
  REQUIRE(taken);
  CHECK(taken->job->id() == "x1");
  add(q, "x3", 3);  // arrives while x1 is out (a driver thread may insert any time)
  add(q, "urgent", 1);
  q.restore(std::move(*taken));
  CHECK(q.size() == 4);
  CHECK(next_id(q) == "urgent");
  CHECK(next_id(q) == "x1");
  CHECK(next_id(q) == "x2");
  CHECK(next_id(q) == "x3");
}

TEST_CASE("queue stays ordered while producers cycle through many priorities", "[queue]") {
  // Lanes for priorities that emptied are pruned once there are many; order must not suffer.
  boost::asio::io_context io;
  PriorityQueue q(io, 10'000);
  std::vector<std::pair<std::int64_t, std::string>> expected;
  for (int round = 0; round < 5; ++round) {
    for (std::int64_t p = 40; p >= 1; --p) {
      const std::string id = std::to_string(p) + "/" + std::to_string(round);
      REQUIRE(add(q, id, p));
      expected.emplace_back(p, id);
    }
    // Drain half each round so lanes empty and refill.
    for (int i = 0; i < 20; ++i) REQUIRE(q.take());
  }
  std::int64_t last_priority = 0;
  std::size_t served = 0;
  while (auto t = q.take()) {
    CHECK(t->job->priority() >= last_priority);
    last_priority = t->job->priority();
    ++served;
  }
  CHECK(served == 5 * 40 - 5 * 20);
  CHECK(q.size() == 0);
}

TEST_CASE("queue tells each pipeline's waiting jobs and the oldest one's insertion time",
          "[queue][stats]") {
  boost::asio::io_context io;
  PriorityQueue q(io, 100);
  const auto before = std::chrono::steady_clock::now();
  add(q, "a1", 5, "a");
  add(q, "b1", 1, "b");
  add(q, "a2", 1, "a");
  std::map<std::string, PriorityQueue::PipelineLoad, std::less<>> loads;
  const auto read = [&] {
    loads.clear();
    q.visit_loads([&](std::string_view p, const PriorityQueue::PipelineLoad& l) {
      loads.emplace(std::string(p), l);
    });
  };
  read();
  CHECK(loads["a"].queued == 2);
  CHECK(loads["b"].queued == 1);
  CHECK(loads["a"].oldest >= before);
  CHECK(loads["a"].oldest <= loads["b"].oldest);  // a1 went in first, though served last

  auto taken = q.take();  // b1 (priority 1 first)
  REQUIRE(taken);
  CHECK(taken->enqueued == loads["b"].oldest);
  q.restore(std::move(*taken));  // handed back: counted again, same age
  read();
  CHECK(loads["b"].queued == 1);
  (void)q.remove("a");
  read();
  CHECK_FALSE(loads.contains("a"));
}

TEST_CASE("fifty thousand distinct priorities cost the queue linear work, not quadratic",
          "[queue][load]") {
  // Issue 12 item 11: a take walked the empty lanes in front of the first full one and every new
  // lane pruned all of them, so 50 000 priorities kept the loop busy for seconds (a Resume held
  // it 17 s). lane_steps() counts every lane those walks visit; it must stay linear in N.
  constexpr std::int64_t kPriorities = 50'000;
  boost::asio::io_context io;
  PriorityQueue q(io, 1'000'000);
  SECTION("inserted lowest last, served in order") {
    for (std::int64_t p = kPriorities; p >= 1; --p) REQUIRE(add(q, std::to_string(p), p));
    for (std::int64_t p = 1; p <= kPriorities; ++p) {
      auto t = q.take();
      REQUIRE(t);
      REQUIRE(t->job->priority() == p);
    }
  }
  SECTION("interleaved with takes, the way a resumed pipeline feeds a busy pool") {
    std::int64_t taken = 0;
    for (std::int64_t p = 1; p <= kPriorities; ++p) {
      REQUIRE(add(q, std::to_string(p), p));
      if (p % 2 == 0) {
        REQUIRE(q.take());
        ++taken;
      }
    }
    while (q.take()) ++taken;
    CHECK(taken == kPriorities);
  }
  SECTION("a pipeline removed from among all of them") {
    for (std::int64_t p = 1; p <= kPriorities; ++p) {
      REQUIRE(add(q, std::to_string(p), p, p % 2 == 0 ? "even" : "odd"));
    }
    CHECK(q.remove("even").size() == kPriorities / 2);
    CHECK(next_id(q) == "1");
    CHECK(q.size() == kPriorities / 2 - 1);
  }
  CHECK(q.lane_steps() <= 4 * kPriorities);
}

TEST_CASE("empty lanes are kept for reuse until they are the majority", "[queue]") {
  boost::asio::io_context io;
  PriorityQueue q(io, 1000);
  // A handful of priorities that empty and refill keep their lanes: no churn per job.
  for (int round = 0; round < 100; ++round) {
    for (std::int64_t p = 1; p <= 5; ++p) REQUIRE(add(q, "j", p));
    while (q.take()) {
    }
  }
  CHECK(q.lanes() == 5);
  CHECK(q.lane_steps() == 0);
  // Many priorities that emptied are pruned when new lanes keep coming.
  for (std::int64_t p = 100; p < 200; ++p) {
    REQUIRE(add(q, "j", p));
    REQUIRE(q.take());
  }
  CHECK(q.lanes() < 20);
}
