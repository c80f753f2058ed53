// Backoff: capped exponential delays with jitter, for reconnects and retried Redis steps.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace coyote::drivers::redis {

/// 100 ms, 200 ms, 400 ms ... up to `max`, each drawn uniformly from [d/2, d] so that hosts
/// that lost the same server do not all come back in the same millisecond.
class Backoff {
 public:
  explicit Backoff(std::chrono::milliseconds max,
                   std::chrono::milliseconds first = std::chrono::milliseconds(100))
      : first_(first), max_(std::max(max, first)), rng_(std::random_device{}()) {}

  std::chrono::milliseconds next() {
    const auto shift = std::min<std::uint32_t>(failures_, 20);
    auto delay = first_ * (std::int64_t{1} << shift);
    if (delay > max_) delay = max_;
    ++failures_;
    std::uniform_int_distribution<std::int64_t> pick(delay.count() / 2, delay.count());
    return std::chrono::milliseconds(pick(rng_));
  }
  void reset() noexcept { failures_ = 0; }
  [[nodiscard]] std::uint32_t failures() const noexcept { return failures_; }

 private:
  std::chrono::milliseconds first_;
  std::chrono::milliseconds max_;
  std::uint32_t failures_ = 0;
  std::minstd_rand rng_;
};

}  // namespace coyote::drivers::redis
