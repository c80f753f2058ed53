// Fair shares, concurrency caps and rate limits in the pool queue (flow mode).
#include "jobs/flow_settings.hpp"
#include "jobs/priority_queue.hpp"
#include "support/fake_job.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <map>
#include <string>

using coyote::host::jobs::FlowSettings;
using coyote::host::jobs::PriorityQueue;
using coyote::host::jobs::Scheduling;
using coyote::test::FakeJob;
using namespace std::chrono_literals;

namespace {

void add(PriorityQueue& q, const std::string& pipeline, int n, std::int64_t priority = 10,
         const std::string& prefix = "") {
  for (int i = 0; i < n; ++i) {
    std::unique_ptr<coyote::sdk::Job> job =
        std::make_unique<FakeJob>(prefix + pipeline + std::to_string(i), priority, pipeline);
    REQUIRE(q.try_insert(job));
  }
}

FlowSettings weight(std::uint32_t w) {
  FlowSettings s;
  s.weight = w;
  return s;
}

/// Takes one job and finishes it at once (a saturated pool with free workers); "" when none.
std::string serve_one(PriorityQueue& q) {
  auto taken = q.take();
  if (!taken) return "";
  q.finished(taken->flow);
  return taken->job->pipeline();
}

/// A clock the test moves by hand.
struct ManualClock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
  PriorityQueue::Clock fn() {
    return [this] { return now; };
  }
};

}  // namespace

TEST_CASE("fair scheduling serves two saturated pipelines weighted 3:1 in that ratio",
          "[queue][flow]") {
  boost::asio::io_context io;
  PriorityQueue q(io, 100'000);
  q.set_scheduling(Scheduling::kFair);
  q.set_flow("heavy", weight(3));
  q.set_flow("light", weight(1));
  add(q, "heavy", 20'000);
  add(q, "light", 20'000);
  std::map<std::string, int> served;
  for (int i = 0; i < 10'000; ++i) ++served[serve_one(q)];
  const double ratio = static_cast<double>(served["heavy"]) / served["light"];
  INFO("heavy " << served["heavy"] << " light " << served["light"]);
  CHECK(std::abs(ratio - 3.0) / 3.0 < 0.05);
  CHECK(served["heavy"] + served["light"] == 10'000);
}

TEST_CASE("a low-weight pipeline's wait is bounded while a heavy one is flooded", "[queue][flow]") {
  boost::asio::io_context io;
  PriorityQueue q(io, 100'000);
  q.set_scheduling(Scheduling::kFair);
  q.set_flow("flood", weight(100));
  q.set_flow("small", weight(1));
  add(q, "flood", 50'000, 1);  // a better priority too: fair scheduling ignores it across pipelines
  int worst = 0;
  for (int round = 0; round < 20; ++round) {
    add(q, "small", 1, 10, "r" + std::to_string(round));
    int takes = 1;
    while (serve_one(q) != "small") ++takes;
    worst = std::max(worst, takes);
  }
  // 100 flood jobs per small one at most, plus the tie.
  CHECK(worst <= 102);
}

TEST_CASE("strict priority scheduling lets a flooded better pipeline starve the other",
          "[queue][flow]") {
  boost::asio::io_context io;
  PriorityQueue q(io, 100'000);
  add(q, "flood", 5'000, 1);
  add(q, "small", 1, 10);
  int takes = 1;
  while (serve_one(q) != "small") ++takes;
  CHECK(takes == 5'001);  // the contrast to the bound above: RoadRunner's behaviour, kept
}

TEST_CASE("fair scheduling keeps each pipeline's jobs in order (by priority, then FIFO)",
          "[queue][flow]") {
  boost::asio::io_context io;
  PriorityQueue q(io, 1'000);
  q.set_scheduling(Scheduling::kFair);
  q.set_flow("a", weight(2));
  add(q, "a", 50, 10);
  add(q, "b", 50, 10);
  add(q, "a", 5, 1, "urgent-");
  std::vector<std::string> a_order;
  while (auto taken = q.take()) {
    if (taken->job->pipeline() == "a") a_order.push_back(taken->job->id());
    q.finished(taken->flow);
  }
  REQUIRE(a_order.size() == 55);
  for (int i = 0; i < 5; ++i) CHECK(a_order[i] == "urgent-a" + std::to_string(i));
  for (int i = 0; i < 50; ++i) CHECK(a_order[5 + i] == "a" + std::to_string(i));
}

TEST_CASE("a pipeline that was idle banks no credit against a busy one", "[queue][flow]") {
  boost::asio::io_context io;
  PriorityQueue q(io, 100'000);
  q.set_scheduling(Scheduling::kFair);
  add(q, "busy", 5'000);
  for (int i = 0; i < 2'000; ++i) REQUIRE(serve_one(q) == "busy");
  add(q, "late", 2'000);
  std::map<std::string, int> served;
  for (int i = 0; i < 1'000; ++i) ++served[serve_one(q)];
  // Equal weights: an even split from now on, not 2 000 "late" jobs in a row.
  CHECK(served["late"] <= 501);
  CHECK(served["busy"] >= 499);
}

TEST_CASE("jobs queued before a pool enters flow mode keep their order", "[queue][flow]") {
  boost::asio::io_context io;
  PriorityQueue q(io, 1'000);
  add(q, "a", 3, 5);
  add(q, "b", 3, 1);
  FlowSettings capped;
  capped.max_concurrency = 100;
  q.set_flow("a", capped);
  REQUIRE(q.flow_mode());
  std::vector<std::string> order;
  while (auto taken = q.take()) order.push_back(taken->job->id());
  CHECK(order == std::vector<std::string>{"b0", "b1", "b2", "a0", "a1", "a2"});
}

TEST_CASE("max_concurrency holds a pipeline's jobs without blocking other pipelines",
          "[queue][flow]") {
  boost::asio::io_context io;
  PriorityQueue q(io, 1'000);
  FlowSettings two;
  two.max_concurrency = 2;
  q.set_flow("capped", two);
  add(q, "capped", 10, 1);  // the better priority: strict priority would serve it first
  add(q, "other", 10, 10);
  auto first = q.take();
  auto second = q.take();
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->job->pipeline() == "capped");
  CHECK(second->job->pipeline() == "capped");
  CHECK(q.flow_in_flight("capped") == 2);
  auto third = q.take();
  REQUIRE(third);
  CHECK(third->job->pipeline() == "other");

  int woken = 0;
  q.set_on_job([&] { ++woken; });
  coyote::test::drain(io);
  woken = 0;
  q.finished(first->flow);
  coyote::test::drain(io);
  CHECK(woken == 1);  // the freed slot wakes the dispatcher
  auto fourth = q.take();
  REQUIRE(fourth);
  CHECK(fourth->job->pipeline() == "capped");
  CHECK(q.flow_in_flight("capped") == 2);
}

TEST_CASE("restore gives back the slot a take charged", "[queue][flow]") {
  boost::asio::io_context io;
  PriorityQueue q(io, 100);
  FlowSettings one;
  one.max_concurrency = 1;
  q.set_flow("p", one);
  add(q, "p", 2);
  auto taken = q.take();
  REQUIRE(taken);
  CHECK_FALSE(q.take());
  q.restore(std::move(*taken));
  CHECK(q.flow_in_flight("p") == 0);
  auto again = q.take();
  REQUIRE(again);
  CHECK(again->job->id() == "p0");
}

TEST_CASE("rate_limit starts at most its count per window, by the queue's clock", "[queue][flow]") {
  boost::asio::io_context io;
  PriorityQueue q(io, 1'000);
  ManualClock clock;
  q.set_clock(clock.fn());
  FlowSettings limited;
  limited.rate.count = 3;
  limited.rate.window = 1s;
  q.set_flow("limited", limited);
  add(q, "limited", 20, 1);
  add(q, "free", 2, 10);
  CHECK(serve_one(q) == "limited");
  CHECK(serve_one(q) == "limited");
  CHECK(serve_one(q) == "limited");
  // The bucket is empty: the other pipeline's jobs go, then nothing until time passes.
  CHECK(serve_one(q) == "free");
  CHECK(serve_one(q) == "free");
  CHECK(serve_one(q).empty());
  clock.now += 300ms;
  CHECK(serve_one(q).empty());
  clock.now += 40ms;  // 340 ms: one third of the window, one token
  CHECK(serve_one(q) == "limited");
  CHECK(serve_one(q).empty());
  clock.now += 10s;  // a long pause refills to the bucket's size, not beyond
  int burst = 0;
  while (serve_one(q) == "limited") ++burst;
  CHECK(burst == 3);
}

TEST_CASE("a rate-limited pipeline wakes the dispatcher when its next token is due",
          "[queue][flow]") {
  boost::asio::io_context io;
  PriorityQueue q(io, 100);
  FlowSettings limited;
  limited.rate.count = 1;
  limited.rate.window = 20ms;
  q.set_flow("p", limited);
  add(q, "p", 2);
  int woken = 0;
  q.set_on_job([&] { ++woken; });
  coyote::test::drain(io);
  REQUIRE(serve_one(q) == "p");
  REQUIRE(serve_one(q).empty());
  woken = 0;
  CHECK(coyote::test::run_until(io, [&] { return woken > 0; }));
  CHECK(serve_one(q) == "p");
}

TEST_CASE("remove takes a pipeline's jobs out of flow mode too", "[queue][flow]") {
  boost::asio::io_context io;
  PriorityQueue q(io, 100);
  q.set_scheduling(Scheduling::kFair);
  add(q, "a", 3);
  add(q, "b", 2);
  auto removed = q.remove("a");
  CHECK(removed.size() == 3);
  CHECK(q.size() == 2);
  CHECK(serve_one(q) == "b");
  CHECK(serve_one(q) == "b");
  CHECK(serve_one(q).empty());
}

// ---- bad input ----------------------------------------------------------------------------------

namespace {
std::string flow_error(std::map<std::string, std::string, std::less<>> options) {
  coyote::sdk::Pipeline pipeline("p", "memory", 10, std::move(options));
  FlowSettings out;
  auto error = coyote::host::jobs::parse_flow_settings(pipeline, out);
  return error ? error->key + ": " + error->message : "";
}
}  // namespace

TEST_CASE("weights of zero, negative or not a number are refused naming the range",
          "[flow][config]") {
  for (const char* bad : {"0", "-3", "1.5", "three", "1000001"}) {
    const std::string error = flow_error({{"weight", bad}});
    INFO(bad);
    CHECK(error.rfind("weight: ", 0) == 0);
    CHECK(error.find("from 1 to 1000000") != std::string::npos);
  }
  CHECK(flow_error({{"weight", "3"}}).empty());
}

TEST_CASE("a rate limit of zero or without a valid window is refused with the format",
          "[flow][config]") {
  for (const char* bad : {"0", "0/1s", "-1/1s", "10/0s", "10/soon", "ten"}) {
    const std::string error = flow_error({{"rate_limit", bad}});
    INFO(bad);
    CHECK(error.rfind("rate_limit: ", 0) == 0);
    CHECK(error.find("\"100/1s\"") != std::string::npos);
  }
  FlowSettings out;
  coyote::sdk::Pipeline ok("p", "memory", 10,
                           {{"rate_limit", "5/500ms"}, {"max_concurrency", "4"}});
  REQUIRE_FALSE(coyote::host::jobs::parse_flow_settings(ok, out));
  CHECK(out.rate.count == 5);
  CHECK(out.rate.window == 500ms);
  CHECK(out.max_concurrency == 4);
  coyote::sdk::Pipeline bare("p", "memory", 10, {{"rate_limit", "7"}});
  REQUIRE_FALSE(coyote::host::jobs::parse_flow_settings(bare, out));
  CHECK(out.rate.window == 1s);
}

TEST_CASE("a negative max_concurrency is refused", "[flow][config]") {
  CHECK(flow_error({{"max_concurrency", "-1"}}).rfind("max_concurrency: ", 0) == 0);
  CHECK(flow_error({{"max_concurrency", "0"}}).empty());
}
