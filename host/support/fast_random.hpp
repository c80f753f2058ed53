// FastRandom: a small, fast pseudo-random generator for ids that must be unpredictable enough
// to not collide, not secret.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <random>

namespace coyote::host::support {

/// xoshiro256** (Blackman and Vigna), seeded through splitmix64 as its authors recommend.
///
/// Why not std::mt19937_64: the dispatcher draws three 64-bit numbers for every job it hands
/// out without a trace context, and the Mersenne Twister's 2.5 KB state, refilled every 312
/// draws, cost ~480 instructions per job (callgrind, docs/architecture.md); this costs ~15 per
/// draw from 32 bytes of state. Its period (2^256 − 1) and equidistribution are far beyond what
/// trace and span ids need. It satisfies UniformRandomBitGenerator, so the <random>
/// distributions accept it.
class FastRandom {
 public:
  using result_type = std::uint64_t;

  explicit FastRandom(std::uint64_t seed) noexcept {
    for (auto& word : state_) word = splitmix64(seed);
  }
  /// Seeded from the system's entropy source.
  FastRandom() : FastRandom(seed_from_device()) {}

  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

  result_type operator()() noexcept {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }
  // Advances `x` and returns the next output: spreads one seed over the four state words, so
  // that no seed (0 included) leaves the state all zero.
  static std::uint64_t splitmix64(std::uint64_t& x) noexcept {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  static std::uint64_t seed_from_device() {
    std::random_device device;
    return (std::uint64_t{device()} << 32) ^ device();
  }

  std::array<std::uint64_t, 4> state_{};
};

}  // namespace coyote::host::support
