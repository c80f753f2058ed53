// FlowSettings: a pipeline's share of its pool (weight) and its caps (concurrency, rate).
#pragma once

#include <coyote/sdk/pipeline.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace coyote::host::jobs {

/// How a pool's queue chooses between pipelines (jobs.pool.scheduling).
enum class Scheduling {
  kPriority,  ///< RoadRunner's: the lowest priority value first, FIFO among equals
  kFair,      ///< weighted fair shares between pipelines (stride scheduling)
};

/// "priority" / "fair"; nullopt for anything else.
[[nodiscard]] std::optional<Scheduling> scheduling_from(std::string_view text);

/// At most `count` jobs start per `window` (a token bucket holding up to `count`).
struct RateLimit {
  std::uint32_t count = 0;  ///< 0: no limit
  std::chrono::milliseconds window{0};
  [[nodiscard]] bool on() const noexcept { return count != 0; }
};

struct FlowSettings {
  std::uint32_t weight = 1;           ///< share under `fair` scheduling
  std::uint32_t max_concurrency = 0;  ///< jobs in flight at once in the pool; 0: unlimited
  RateLimit rate;
  /// The pipeline needs the queue's per-pipeline scheduling even under `priority`.
  [[nodiscard]] bool limited() const noexcept { return max_concurrency != 0 || rate.on(); }
};

/// Largest weight accepted: the stride arithmetic stays exact well beyond any useful ratio.
inline constexpr std::uint32_t kMaxWeight = 1'000'000;

/// A rejected option: the key and what to write instead.
struct FlowError {
  std::string key;
  std::string message;
};

/// Reads weight, max_concurrency and rate_limit ("100/1s", "5/500ms", "10" = per second) from a
/// pipeline's flat options (the .rr.yaml keys and jobs.Declare's options alike).
[[nodiscard]] std::optional<FlowError> parse_flow_settings(const sdk::Pipeline& pipeline,
                                                           FlowSettings& out);

}  // namespace coyote::host::jobs
