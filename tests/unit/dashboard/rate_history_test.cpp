#include "dashboard/rate_history.hpp"

#include <catch2/catch.hpp>

using coyote::host::dashboard::RateHistory;

TEST_CASE("rate history turns counter samples into per-second rates", "[dashboard][history]") {
  RateHistory h(10);
  CHECK(h.points().empty());
  CHECK(h.latest().processed == 0);
  h.record({.unix_ms = 1000, .pushed = 0, .processed = 0, .failed = 0});
  h.record({.unix_ms = 3000, .pushed = 10, .processed = 4, .failed = 2});
  const auto p = h.latest();
  CHECK(p.unix_ms == 3000);
  CHECK(p.pushed == Approx(5));
  CHECK(p.processed == Approx(2));
  CHECK(p.failed == Approx(1));
}

TEST_CASE("rate history keeps only its capacity, oldest dropped", "[dashboard][history]") {
  RateHistory h(3);
  for (std::uint64_t i = 0; i < 10; ++i) {
    h.record({.unix_ms = static_cast<std::int64_t>(i) * 1000, .pushed = i * i});
  }
  CHECK(h.size() == 3);
  const auto points = h.points();
  REQUIRE(points.size() == 2);
  CHECK(points[0].unix_ms == 8000);
  CHECK(points[0].pushed == Approx(15));  // 64 - 49
  CHECK(points[1].pushed == Approx(17));  // 81 - 64
}

TEST_CASE("a counter that goes backwards counts as a zero rate", "[dashboard][history]") {
  RateHistory h(4);
  h.record({.unix_ms = 0, .processed = 10});
  h.record({.unix_ms = 1000, .processed = 3});
  CHECK(h.latest().processed == 0);
  h.record({.unix_ms = 1000, .processed = 9});
  CHECK(h.latest().processed == 0);  // no time passed
}
