// Results and progress: what producers can read back, for how long, and the long poll.
#include "jobs/result_store.hpp"
#include "jobs/reply.hpp"
#include "support/fake_job.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>

using coyote::host::jobs::JobResult;
using coyote::host::jobs::ResultSettings;
using coyote::host::jobs::ResultStore;
using coyote::test::FakeJob;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  boost::asio::io_context io;
  std::chrono::system_clock::time_point now{std::chrono::hours(24 * 365)};
  ResultStore store;
  explicit Fixture(ResultSettings settings = {}) : store(io, settings) {
    store.set_clock([this] { return now; });
  }
  JobResult get(const std::string& id) {
    std::optional<JobResult> got;
    store.fetch(id, 0ms, [&](const JobResult& r) { got = r; });
    REQUIRE(got);
    return *got;
  }
};

}  // namespace

TEST_CASE("an acked job's result is kept with its pipeline and attempts", "[results]") {
  Fixture f;
  FakeJob job("j1", 10, "emails");
  f.store.record(job, true, R"({"sent":3})", {}, 1);
  const JobResult r = f.get("j1");
  CHECK(r.state == JobResult::State::kSucceeded);
  CHECK(r.result == R"({"sent":3})");
  CHECK(r.pipeline == "emails");
  CHECK(r.attempts == 1);
  CHECK(f.get("other").state == JobResult::State::kUnknown);
}

TEST_CASE("a failure is a result too, with the error and the attempts", "[results]") {
  Fixture f;
  FakeJob job("j2", 10, "p");
  f.store.record(job, false, {}, "failed by the worker: boom", 3);
  const JobResult r = f.get("j2");
  CHECK(r.state == JobResult::State::kFailed);
  CHECK(r.error == "failed by the worker: boom");
  CHECK(r.attempts == 3);
}

TEST_CASE("results expire after the ttl by the store's clock", "[results]") {
  ResultSettings settings;
  settings.ttl = 10min;
  Fixture f(settings);
  FakeJob job("j", 10, "p");
  f.store.record(job, true, "1", {}, 1);
  f.now += 9min;
  CHECK(f.get("j").state == JobResult::State::kSucceeded);
  f.now += 2min;
  CHECK(f.get("j").state == JobResult::State::kUnknown);
  CHECK(f.store.size() == 0);
}

TEST_CASE("a result over max_size is not kept and the entry names the key to raise", "[results]") {
  ResultSettings settings;
  settings.max_size = 8;
  Fixture f(settings);
  FakeJob job("j", 10, "p");
  f.store.record(job, true, R"("0123456789")", {}, 1);
  const JobResult r = f.get("j");
  CHECK(r.state == JobResult::State::kSucceeded);
  CHECK(r.result.empty());
  CHECK(r.error.find("jobs.results.max_size (8 bytes)") != std::string::npos);
  CHECK(f.store.refused_too_large() == 1);
}

TEST_CASE("beyond max_entries the oldest results go first", "[results]") {
  ResultSettings settings;
  settings.max_entries = 2;
  Fixture f(settings);
  for (const char* id : {"a", "b", "c"}) {
    FakeJob job(id, 10, "p");
    f.store.record(job, true, "1", {}, 1);
    f.now += 1s;
  }
  CHECK(f.get("a").state == JobResult::State::kUnknown);
  CHECK(f.get("b").state == JobResult::State::kSucceeded);
  CHECK(f.get("c").state == JobResult::State::kSucceeded);
}

TEST_CASE("progress check-ins show a running job and stay with its result", "[results]") {
  Fixture f;
  REQUIRE(f.store.progress("j", "1/3"));
  REQUIRE(f.store.progress("j", "2/3"));
  JobResult r = f.get("j");
  CHECK(r.state == JobResult::State::kRunning);
  CHECK(r.progress == "2/3");
  FakeJob job("j", 10, "p");
  f.store.record(job, true, "7", {}, 1);
  r = f.get("j");
  CHECK(r.state == JobResult::State::kSucceeded);
  CHECK(r.progress == "2/3");
  CHECK_FALSE(f.store.progress("j", "late"));  // finished: refused, says so
}

TEST_CASE("oversized or anonymous progress is refused naming the limit", "[results]") {
  ResultSettings settings;
  settings.max_size = 4;
  Fixture f(settings);
  auto big = f.store.progress("j", "12345");
  REQUIRE_FALSE(big);
  CHECK(big.message().find("jobs.results.max_size") != std::string::npos);
  CHECK_FALSE(f.store.progress("", "x"));
}

TEST_CASE("a fetch with a wait answers when the result arrives", "[results]") {
  Fixture f;
  std::optional<JobResult> got;
  f.store.fetch("j", 30s, [&](const JobResult& r) { got = r; });
  coyote::test::drain(f.io);
  CHECK_FALSE(got);
  CHECK(f.store.waiting() == 1);
  FakeJob job("j", 10, "p");
  f.store.record(job, true, "42", {}, 1);
  REQUIRE(got);
  CHECK(got->result == "42");
  CHECK(f.store.waiting() == 0);
}

TEST_CASE("a fetch with a wait answers what is known when the wait ends", "[results]") {
  Fixture f;
  REQUIRE(f.store.progress("j", "half"));
  std::optional<JobResult> got;
  f.store.fetch("j", 20ms, [&](const JobResult& r) { got = r; });
  CHECK(coyote::test::run_until(f.io, [&] { return got.has_value(); }));
  REQUIRE(got);
  CHECK(got->state == JobResult::State::kRunning);
  CHECK(got->progress == "half");
  CHECK(f.store.waiting() == 0);
}

TEST_CASE("an ack may carry a result; RoadRunner's plain acks carry none", "[results][reply]") {
  auto with = coyote::host::jobs::parse_reply(R"({"type":2,"data":{"result":{"a":[1,2]}}})");
  REQUIRE(with);
  CHECK(with->type == 2);
  CHECK(with->result == R"({"a":[1,2]})");
  auto plain = coyote::host::jobs::parse_reply(R"({"type":2,"data":[]})");
  REQUIRE(plain);
  CHECK(plain->result.empty());
  auto spaced = coyote::host::jobs::parse_reply(R"({"type": 2, "data": {}})");
  REQUIRE(spaced);
  CHECK(spaced->result.empty());
  auto legacy = coyote::host::jobs::parse_reply(R"({"type":0,"data":{"result":"ok"}})");
  REQUIRE(legacy);
  CHECK(legacy->result == R"("ok")");
}
