#include "common/backoff.hpp"

#include <catch2/catch.hpp>

using coyote::drivers::common::Backoff;
using std::chrono::milliseconds;

TEST_CASE("backoff doubles from its initial delay and stops at its cap", "[amqp][backoff]") {
  Backoff b({milliseconds{100}, milliseconds{1000}, 2.0, 0.0});
  CHECK(b.next() == milliseconds{100});
  CHECK(b.next() == milliseconds{200});
  CHECK(b.next() == milliseconds{400});
  CHECK(b.next() == milliseconds{800});
  CHECK(b.next() == milliseconds{1000});
  for (int i = 0; i < 100; ++i) CHECK(b.next() == milliseconds{1000});  // never gives up
  CHECK(b.attempts() == 105);
}

TEST_CASE("backoff jitter keeps every delay between (1 - jitter) and 1 times its nominal value",
          "[amqp][backoff]") {
  Backoff b({milliseconds{1000}, milliseconds{8000}, 2.0, 0.5}, 42);
  const std::int64_t nominal[] = {1000, 2000, 4000, 8000, 8000, 8000};
  bool varied = false;
  std::int64_t first = -1;
  for (auto n : nominal) {
    const auto d = b.next().count();
    CHECK(d >= n / 2);
    CHECK(d <= n);
    if (n == 8000) {
      if (first < 0) first = d;
      varied = varied || d != first;
    }
  }
  CHECK(varied);
}

TEST_CASE("backoff reset starts again at the initial delay", "[amqp][backoff]") {
  Backoff b({milliseconds{50}, milliseconds{10'000}, 2.0, 0.0});
  (void)b.next();
  (void)b.next();
  b.reset();
  CHECK(b.attempts() == 0);
  CHECK(b.next() == milliseconds{50});
}

TEST_CASE("backoff repairs nonsensical options instead of spinning", "[amqp][backoff]") {
  Backoff b({milliseconds{0}, milliseconds{0}, 0.5, 7.0});
  CHECK(b.options().initial == milliseconds{1});
  CHECK(b.options().max == milliseconds{1});
  CHECK(b.options().multiplier == 1.0);
  CHECK(b.options().jitter == 1.0);
}
