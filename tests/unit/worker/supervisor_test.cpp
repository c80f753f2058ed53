#include "worker/supervisor.hpp"

#include <catch2/catch.hpp>

using namespace coyote::host::worker;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

SupervisorConfig limits() {
  SupervisorConfig s;
  s.enabled = true;
  s.ttl = 60s;
  s.idle_ttl = 10s;
  s.max_worker_memory_mb = 128;
  return s;
}

WorkerVitals fresh(Clock::time_point now) {
  WorkerVitals w;
  w.started = now - 1s;
  w.last_used = now - 1s;
  w.execs = 1;
  w.rss_bytes = 10u * 1024 * 1024;
  w.idle = true;
  return w;
}

}  // namespace

TEST_CASE("supervisor keeps a worker within every limit", "[worker][supervisor]") {
  const auto now = Clock::now();
  CHECK_FALSE(supervise(fresh(now), limits(), now));
}

TEST_CASE("supervisor recycles a worker past its ttl, busy or not", "[worker][supervisor]") {
  const auto now = Clock::now();
  auto w = fresh(now);
  w.started = now - 61s;
  w.idle = false;
  const auto verdict = supervise(w, limits(), now);
  REQUIRE(verdict);
  CHECK(verdict->state == WorkerState::kTtlReached);
  CHECK(verdict->reason == "ttl reached");
}

TEST_CASE("supervisor recycles a worker at its memory limit and says how much it used",
          "[worker][supervisor]") {
  const auto now = Clock::now();
  auto w = fresh(now);
  w.rss_bytes = 200u * 1024 * 1024;
  const auto verdict = supervise(w, limits(), now);
  REQUIRE(verdict);
  CHECK(verdict->state == WorkerState::kMaxMemoryReached);
  CHECK(verdict->reason == "memory 200 MB >= max_worker_memory 128 MB");
}

TEST_CASE("supervisor applies ttl before memory and memory before idle_ttl",
          "[worker][supervisor]") {
  const auto now = Clock::now();
  auto w = fresh(now);
  w.started = now - 61s;
  w.last_used = now - 11s;
  w.rss_bytes = 200u * 1024 * 1024;
  CHECK(supervise(w, limits(), now)->state == WorkerState::kTtlReached);
  w.started = now - 1s;
  CHECK(supervise(w, limits(), now)->state == WorkerState::kMaxMemoryReached);
  w.rss_bytes = 0;
  CHECK(supervise(w, limits(), now)->state == WorkerState::kIdleTtlReached);
}

TEST_CASE("idle_ttl applies only to an idle worker that has run a job", "[worker][supervisor]") {
  const auto now = Clock::now();
  auto w = fresh(now);
  w.last_used = now - 11s;
  SECTION("idle after a job: recycled") {
    CHECK(supervise(w, limits(), now)->state == WorkerState::kIdleTtlReached);
  }
  SECTION("never ran a job: kept") {
    w.execs = 0;
    CHECK_FALSE(supervise(w, limits(), now));
  }
  SECTION("executing: kept") {
    w.idle = false;
    CHECK_FALSE(supervise(w, limits(), now));
  }
}

TEST_CASE("a zero limit is off, and no soft limit means no supervisor timer",
          "[worker][supervisor]") {
  const auto now = Clock::now();
  SupervisorConfig off;
  off.enabled = true;
  auto w = fresh(now);
  w.started = now - 100h;
  w.last_used = now - 100h;
  w.rss_bytes = 1u << 30;
  CHECK_FALSE(supervise(w, off, now));
  CHECK_FALSE(has_soft_limits(off));
  off.exec_ttl = 5s;  // a hard limit the worker process enforces itself
  CHECK_FALSE(has_soft_limits(off));
  CHECK(has_soft_limits(limits()));
  auto disabled = limits();
  disabled.enabled = false;
  CHECK_FALSE(has_soft_limits(disabled));
}
