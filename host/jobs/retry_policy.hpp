// RetryPolicy: how often and how late a job whose execution failed is delivered again.
#pragma once

#include "config/key_spec.hpp"

#include <coyote/sdk/config.hpp>
#include <coyote/sdk/headers.hpp>
#include <coyote/sdk/pipeline.hpp>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace coyote::host::jobs {

/// The header a redelivered job carries: the number of the delivery the worker is running,
/// "2" on the first redelivery. Absent on the first delivery (attempt 1), so a job's context is
/// byte-for-byte RoadRunner's until something failed.
inline constexpr std::string_view kAttemptHeader = "X-Coyote-Attempt";

enum class Backoff { kConstant, kLinear, kExponential };

/// jobs.pipelines.<name>.retry. Failures the worker did not decide (crash, exec_ttl, malformed
/// reply, soft error frame) are retried up to max_attempts deliveries in all, then dead-lettered.
struct RetryPolicy {
  std::int64_t max_attempts = 3;
  Backoff backoff = Backoff::kExponential;
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds max{60'000};
  double jitter = 0.1;  ///< the delay is scaled by a random factor in [1 - jitter, 1 + jitter]

  /// The wait before delivery `failed_attempt + 1`, capped at `max`, jitter applied.
  [[nodiscard]] std::chrono::milliseconds delay_after(std::int64_t failed_attempt,
                                                      std::mt19937_64& rng) const;

  /// Reads <base>.retry.* (base = "jobs.pipelines.<name>"). Throws sdk::ConfigError on a value
  /// out of range; absent keys keep the defaults.
  static RetryPolicy from_config(const sdk::Config& config, const std::string& base);
  /// Reads the flat options of a declared pipeline: retry.max_attempts, retry.backoff,
  /// retry.initial, retry.max (durations), retry.jitter. Unreadable values keep the defaults.
  static RetryPolicy from_options(const sdk::Pipeline& pipeline);
};

/// The keys of jobs.pipelines.<name>.retry that RetryPolicy::from_config reads.
[[nodiscard]] const config::Spec& retry_keys();

/// The driver takes whole seconds (sdk::Job::requeue): a positive delay is rounded up.
[[nodiscard]] std::chrono::seconds driver_delay(std::chrono::milliseconds delay);

/// The attempt number a job's headers carry (1 when absent or unreadable).
[[nodiscard]] std::int64_t attempt_of(const sdk::Headers& headers);

}  // namespace coyote::host::jobs
