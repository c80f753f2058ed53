// QuantileStream's error bound and memory, and QuantileWindow's rotation.
#include "metrics/quantile_stream.hpp"
#include "metrics/quantile_window.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace m = coyote::host::metrics;
using namespace std::chrono_literals;

TEST_CASE("quantile stream stays within each objective's rank error", "[metrics]") {
  const std::vector<m::Objective> targets{{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}};
  m::QuantileStream stream(targets);
  constexpr int kN = 100000;
  std::vector<int> values(kN);
  std::iota(values.begin(), values.end(), 0);
  std::mt19937 rng(42);
  std::shuffle(values.begin(), values.end(), rng);
  for (const int v : values) stream.insert(v);
  CHECK(stream.count() == kN);
  for (const auto& t : targets) {
    // The value is its own rank here (0..N-1 each once).
    const double rank = stream.query(t.quantile) / kN;
    INFO("quantile " << t.quantile);
    CHECK(std::abs(rank - t.quantile) <= t.error + 1.0 / kN);
  }
  CHECK(stream.retained() < 5000);  // bounded memory, not one sample per observation
}

TEST_CASE("quantile stream answers exactly from a small sample and NaN when empty", "[metrics]") {
  m::QuantileStream stream({{0.5, 0.05}});
  CHECK(std::isnan(stream.query(0.5)));
  for (const double v : {5.0, 1.0, 3.0}) stream.insert(v);
  CHECK(stream.query(0.5) == 3);
  stream.reset();
  CHECK(std::isnan(stream.query(0.5)));
}

TEST_CASE("quantile window forgets observations older than max_age", "[metrics]") {
  const auto t0 = m::QuantileWindow::Clock::time_point{} + 1000s;
  m::QuantileWindow window({{0.5, 0.05}}, 10s, 5, t0);
  for (int i = 0; i < 10; ++i) window.observe(1, t0);
  for (int i = 0; i < 10; ++i) window.observe(100, t0 + 5s);
  CHECK(window.quantiles(t0 + 9s).front() == 1);          // every observation still counts
  CHECK(window.quantiles(t0 + 10500ms).front() == 100);   // the t0 ones aged out
  CHECK(std::isnan(window.quantiles(t0 + 60s).front()));  // everything aged out
  window.observe(7, t0 + 61s);
  CHECK(window.quantiles(t0 + 61s).front() == 7);
}
