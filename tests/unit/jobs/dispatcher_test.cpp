#include "jobs/dispatcher.hpp"
#include "log/log.hpp"
#include "support/fake_job.hpp"
#include "support/wait.hpp"
#include "unit/jobs/test_executor.hpp"

#include <catch2/catch.hpp>

using coyote::host::jobs::Counters;
using coyote::host::jobs::Dispatcher;
using coyote::host::jobs::PriorityQueue;
using coyote::host::jobs::ResponseHandler;
using coyote::test::FakeJob;
using coyote::test::TestExecutor;

namespace {

void add(PriorityQueue& q, std::string id, std::int64_t priority,
         std::optional<coyote::test::Ack>* sink = nullptr) {
  std::unique_ptr<coyote::sdk::Job> job =
      std::make_unique<FakeJob>(std::move(id), priority, "p", sink);
  REQUIRE(q.try_insert(job));
}

std::string id_in(const std::string& context) {
  auto start = context.find("\"id\":\"") + 6;
  return context.substr(start, context.find('"', start) - start);
}

}  // namespace

TEST_CASE("dispatcher pairs jobs with workers whichever arrives first", "[dispatcher]") {
  boost::asio::io_context io;
  PriorityQueue queue(io, 100);
  TestExecutor executor;
  Counters counters;
  ResponseHandler responses(counters, coyote::host::log::get("jobs"));
  Dispatcher dispatcher(queue, executor, responses);
  dispatcher.start();

  SECTION("jobs queued before any worker is ready wait, then go in priority order") {
    add(queue, "low", 9);
    add(queue, "high", 1);
    add(queue, "mid", 5);
    coyote::test::drain(io);
    CHECK(executor.calls.empty());
    executor.add_workers(2);
    REQUIRE(executor.calls.size() == 2);
    CHECK(id_in(executor.calls[0].context) == "high");
    CHECK(id_in(executor.calls[1].context) == "mid");
    CHECK(executor.calls[0].body == "payload-high");
    CHECK(queue.size() == 1);
    CHECK(dispatcher.in_flight() == 2);
    executor.reply(R"({"type":2,"data":[]})");  // frees a worker: "low" goes out
    REQUIRE(executor.calls.size() == 2);
    CHECK(id_in(executor.calls[1].context) == "low");
    CHECK(queue.size() == 0);
    CHECK(counters.jobs_ok == 1);
  }

  SECTION("idle workers take a job as soon as it arrives") {
    executor.add_workers(3);
    CHECK(executor.calls.empty());
    add(queue, "a", 1);
    add(queue, "b", 1);
    coyote::test::drain(io);
    REQUIRE(executor.calls.size() == 2);
    CHECK(id_in(executor.calls[0].context) == "a");
    CHECK(id_in(executor.calls[1].context) == "b");
    CHECK(executor.ready_count() == 1);
  }
}

TEST_CASE("dispatcher routes the reply to the job it belongs to", "[dispatcher]") {
  boost::asio::io_context io;
  PriorityQueue queue(io, 100);
  TestExecutor executor;
  Counters counters;
  ResponseHandler responses(counters, coyote::host::log::get("jobs"));
  Dispatcher dispatcher(queue, executor, responses);
  dispatcher.start();
  std::optional<coyote::test::Ack> first;
  std::optional<coyote::test::Ack> second;
  add(queue, "1", 1, &first);
  add(queue, "2", 1, &second);
  executor.add_workers(2);
  REQUIRE(executor.calls.size() == 2);
  auto call1 = std::move(executor.calls[0]);
  auto call2 = std::move(executor.calls[1]);
  coyote::host::worker::ExecOutcome nack;
  nack.body = R"({"type":3,"data":{"message":"m","requeue":false,"delay_seconds":0}})";
  coyote::host::worker::ExecOutcome ack;
  ack.body = R"({"type":2,"data":[]})";
  call2.done(nack);  // out of order on purpose
  call1.done(ack);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->call == "ack");
  CHECK(second->call == "nack_with_options");
  CHECK(dispatcher.in_flight() == 0);
}

TEST_CASE("dispatcher puts a job back in place when the pool refuses it", "[dispatcher]") {
  boost::asio::io_context io;
  PriorityQueue queue(io, 100);
  TestExecutor executor;
  Counters counters;
  ResponseHandler responses(counters, coyote::host::log::get("jobs"));
  Dispatcher dispatcher(queue, executor, responses);
  dispatcher.start();
  add(queue, "first", 1);
  add(queue, "second", 1);
  executor.set_refuse(true);
  executor.add_workers(1);
  CHECK(executor.calls.empty());
  CHECK(queue.size() == 2);
  CHECK(dispatcher.in_flight() == 0);
  executor.set_refuse(false);
  executor.add_workers(0);  // "a worker is ready" again
  REQUIRE(executor.calls.size() == 1);
  CHECK(id_in(executor.calls[0].context) == "first");
}

TEST_CASE("halted dispatcher hands out no more jobs", "[dispatcher]") {
  boost::asio::io_context io;
  PriorityQueue queue(io, 100);
  TestExecutor executor;
  Counters counters;
  ResponseHandler responses(counters, coyote::host::log::get("jobs"));
  Dispatcher dispatcher(queue, executor, responses);
  dispatcher.start();
  dispatcher.halt();
  add(queue, "x", 1);
  executor.add_workers(1);
  coyote::test::drain(io);
  CHECK(executor.calls.empty());
  CHECK(queue.size() == 1);
}

TEST_CASE("a job whose driver cannot write its context is redelivered, not sent or lost",
          "[dispatcher]") {
  boost::asio::io_context io;
  PriorityQueue queue(io, 100);
  TestExecutor executor;
  Counters counters;
  ResponseHandler responses(counters, coyote::host::log::get("jobs"));
  Dispatcher dispatcher(queue, executor, responses);
  dispatcher.start();

  std::optional<coyote::test::Ack> broken_ack;
  auto broken = std::make_unique<FakeJob>("broken", 1, "p", &broken_ack);
  broken->throw_in("write_context");
  std::unique_ptr<coyote::sdk::Job> job = std::move(broken);
  REQUIRE(queue.try_insert(job));
  add(queue, "fine", 2);
  executor.add_workers(1);
  coyote::test::drain(io);

  // The broken job went back to its driver with the next attempt number; the worker got the next.
  REQUIRE(broken_ack);
  CHECK(broken_ack->call == "requeue");
  CHECK(broken_ack->headers.at("X-Coyote-Attempt") == std::vector<std::string>{"2"});
  CHECK(counters.jobs_err == 1);
  REQUIRE(executor.calls.size() == 1);
  CHECK(id_in(executor.calls[0].context) == "fine");
}
