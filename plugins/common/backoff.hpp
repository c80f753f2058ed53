// Backoff: capped exponential delays with jitter, for reconnect loops that never give up.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace coyote::drivers::common {

/// Delay n (n = 0, 1, ...) is min(max, initial * multiplier^n) scaled by a random factor in
/// [1 - jitter, 1]: it never exceeds `max`, and hosts that lost the same broker at the same
/// moment spread their reconnects instead of arriving together. reset() after a success starts
/// again at `initial`. Not thread-safe: one owner (a driver's I/O thread).
///
///   Backoff backoff({.initial = 100ms, .max = 30s});
///   while (!connect()) sleep(backoff.next());
///   backoff.reset();
class Backoff {
 public:
  struct Options {
    std::chrono::milliseconds initial{100};
    std::chrono::milliseconds max{30'000};
    double multiplier = 2.0;
    double jitter = 0.5;  ///< 0: exact delays; 0.5: each delay is 50-100 % of its nominal value
  };

  explicit Backoff(Options options, std::uint64_t seed = std::random_device{}())
      : options_(sanitize(options)), rng_(seed) {}

  /// The delay to wait before the next attempt; counts the attempt.
  std::chrono::milliseconds next() {
    auto nominal = static_cast<double>(options_.initial.count());
    const auto cap = static_cast<double>(options_.max.count());
    for (std::uint64_t i = 0; i < attempts_ && nominal < cap; ++i) nominal *= options_.multiplier;
    nominal = std::min(nominal, cap);
    ++attempts_;
    std::uniform_real_distribution<double> factor(1.0 - options_.jitter, 1.0);
    return std::chrono::milliseconds{static_cast<std::int64_t>(nominal * factor(rng_))};
  }

  void reset() noexcept { attempts_ = 0; }
  /// Delays handed out since the last reset(): the number of failed attempts so far.
  [[nodiscard]] std::uint64_t attempts() const noexcept { return attempts_; }
  [[nodiscard]] const Options& options() const noexcept { return options_; }

 private:
  static Options sanitize(Options o) {
    if (o.initial.count() < 1) o.initial = std::chrono::milliseconds{1};
    if (o.max < o.initial) o.max = o.initial;
    if (o.multiplier < 1.0) o.multiplier = 1.0;
    o.jitter = std::clamp(o.jitter, 0.0, 1.0);
    return o;
  }

  Options options_;
  std::mt19937_64 rng_;
  std::uint64_t attempts_ = 0;
};

}  // namespace coyote::drivers::common
