#include "jobs/retry_policy.hpp"
#include "support/map_config.hpp"

#include <catch2/catch.hpp>

using coyote::host::jobs::Backoff;
using coyote::host::jobs::RetryPolicy;
using std::chrono::milliseconds;

TEST_CASE("backoff grows as configured and stops at max", "[retry]") {
  std::mt19937_64 rng{1};
  RetryPolicy p;
  p.initial = milliseconds{100};
  p.max = milliseconds{1000};
  p.jitter = 0.0;
  SECTION("constant") {
    p.backoff = Backoff::kConstant;
    CHECK(p.delay_after(1, rng) == milliseconds{100});
    CHECK(p.delay_after(5, rng) == milliseconds{100});
  }
  SECTION("linear") {
    p.backoff = Backoff::kLinear;
    CHECK(p.delay_after(1, rng) == milliseconds{100});
    CHECK(p.delay_after(3, rng) == milliseconds{300});
    CHECK(p.delay_after(50, rng) == milliseconds{1000});
  }
  SECTION("exponential") {
    p.backoff = Backoff::kExponential;
    CHECK(p.delay_after(1, rng) == milliseconds{100});
    CHECK(p.delay_after(2, rng) == milliseconds{200});
    CHECK(p.delay_after(4, rng) == milliseconds{800});
    CHECK(p.delay_after(1000, rng) == milliseconds{1000});
  }
}

TEST_CASE("jitter keeps the delay within its fraction and under max", "[retry]") {
  std::mt19937_64 rng{7};
  RetryPolicy p;
  p.backoff = Backoff::kConstant;
  p.initial = milliseconds{1000};
  p.max = milliseconds{1050};
  p.jitter = 0.2;
  bool varied = false;
  for (int i = 0; i < 200; ++i) {
    auto d = p.delay_after(1, rng);
    CHECK(d >= milliseconds{800});
    CHECK(d <= milliseconds{1050});
    varied = varied || d != milliseconds{1000};
  }
  CHECK(varied);
}

TEST_CASE("driver delays are whole seconds, rounded up", "[retry]") {
  using coyote::host::jobs::driver_delay;
  CHECK(driver_delay(milliseconds{0}) == std::chrono::seconds{0});
  CHECK(driver_delay(milliseconds{1}) == std::chrono::seconds{1});
  CHECK(driver_delay(milliseconds{1000}) == std::chrono::seconds{1});
  CHECK(driver_delay(milliseconds{1001}) == std::chrono::seconds{2});
}

TEST_CASE("the attempt header is read leniently", "[retry]") {
  using coyote::host::jobs::attempt_of;
  coyote::sdk::Headers h;
  CHECK(attempt_of(h) == 1);
  h["X-Coyote-Attempt"] = {"4"};
  CHECK(attempt_of(h) == 4);
  h["X-Coyote-Attempt"] = {"nope"};
  CHECK(attempt_of(h) == 1);
  h["X-Coyote-Attempt"] = {"0"};
  CHECK(attempt_of(h) == 1);
}

TEST_CASE("retry policy is read from the pipeline's retry section", "[retry]") {
  coyote::test::MapConfig c;
  const std::string base = "jobs.pipelines.p";
  SECTION("defaults") {
    auto p = RetryPolicy::from_config(c, base);
    CHECK(p.max_attempts == 3);
    CHECK(p.backoff == Backoff::kExponential);
    CHECK(p.initial == milliseconds{1000});
    CHECK(p.max == milliseconds{60'000});
  }
  SECTION("values") {
    c.set(base + ".retry.max_attempts", std::int64_t{5});
    c.set(base + ".retry.backoff", std::string("linear"));
    c.set(base + ".retry.initial", std::int64_t{2});
    c.set(base + ".retry.max", std::int64_t{9});
    c.set(base + ".retry.jitter", std::string("0.25"));
    auto p = RetryPolicy::from_config(c, base);
    CHECK(p.max_attempts == 5);
    CHECK(p.backoff == Backoff::kLinear);
    CHECK(p.initial == milliseconds{2000});
    CHECK(p.max == milliseconds{9000});
    CHECK(p.jitter == Approx(0.25));
  }
  SECTION("bad values name the key") {
    c.set(base + ".retry.max_attempts", std::int64_t{0});
    CHECK_THROWS_WITH(RetryPolicy::from_config(c, base),
                      Catch::Contains("retry.max_attempts") && Catch::Contains("at least 1"));
  }
  SECTION("jitter out of range") {
    c.set(base + ".retry.jitter", std::string("3"));
    CHECK_THROWS_WITH(RetryPolicy::from_config(c, base), Catch::Contains("retry.jitter"));
  }
}

TEST_CASE("a declared pipeline reads retry.* from its options", "[retry]") {
  coyote::sdk::Pipeline pipe("d", "memory", 10,
                             {{"retry.max_attempts", "7"},
                              {"retry.backoff", "constant"},
                              {"retry.initial", "250ms"},
                              {"retry.jitter", "0"}});
  auto p = RetryPolicy::from_options(pipe);
  CHECK(p.max_attempts == 7);
  CHECK(p.backoff == Backoff::kConstant);
  CHECK(p.initial == milliseconds{250});
  CHECK(p.jitter == 0.0);
}
