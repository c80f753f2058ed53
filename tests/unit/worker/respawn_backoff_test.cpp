#include "worker/respawn_backoff.hpp"

#include <catch2/catch.hpp>

using coyote::host::worker::RespawnBackoff;
using namespace std::chrono_literals;

namespace {

RespawnBackoff::Death early_death() {
  RespawnBackoff::Death d;  // died before or right after its handshake, having run nothing
  d.handshook = true;
  d.ready_for = 10ms;
  return d;
}

}  // namespace

TEST_CASE("back-off doubles with each early death from 100 ms up to 5 s", "[worker][backoff]") {
  RespawnBackoff b;
  CHECK_FALSE(b.failing());
  CHECK(b.delay() == 0ms);
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 8; ++i) {
    b.died(early_death());
    delays.push_back(b.delay());
  }
  CHECK(delays == std::vector<std::chrono::milliseconds>{100ms, 200ms, 400ms, 800ms, 1600ms, 3200ms,
                                                         5000ms, 5000ms});
  CHECK(b.failing());
}

TEST_CASE("a spawn that fails outright counts as an early death", "[worker][backoff]") {
  RespawnBackoff b;
  b.spawn_failed();
  CHECK(b.failing());
  CHECK(b.delay() == 100ms);
}

TEST_CASE("a worker that proved its command clears the back-off", "[worker][backoff]") {
  RespawnBackoff b;
  b.died(early_death());
  b.died(early_death());
  REQUIRE(b.failing());
  SECTION("it ran a job") {
    auto d = early_death();
    d.ran_a_job = true;
    b.died(d);
  }
  SECTION("it stayed up long enough after its handshake") {
    auto d = early_death();
    d.ready_for = RespawnBackoff::kStableAfter;
    b.died(d);
  }
  SECTION("the host stopped it") {
    RespawnBackoff::Death d;
    d.intended = true;
    b.died(d);
  }
  CHECK_FALSE(b.failing());
}

TEST_CASE("an external SIGKILL neither feeds nor clears the back-off", "[worker][backoff]") {
  RespawnBackoff b;
  auto killed = early_death();
  killed.killed_externally = true;
  b.died(killed);
  CHECK_FALSE(b.failing());
  b.died(early_death());
  b.died(killed);
  CHECK(b.delay() == 100ms);
}

TEST_CASE("a worker that never finished its handshake has proved nothing", "[worker][backoff]") {
  RespawnBackoff b;
  RespawnBackoff::Death d;
  d.ran_a_job = true;  // cannot happen without a handshake; the handshake is what counts
  d.ready_for = 1h;
  b.died(d);
  CHECK(b.failing());
}
