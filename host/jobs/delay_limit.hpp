// The longest delay a job may ask for, and the check every way in applies (RPC, worker replies).
#pragma once

#include <coyote/sdk/status.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace coyote::host::jobs {

/// 100 years (of 365.25 days) in seconds. Far beyond any real schedule, far below what overflows:
/// a due time is now + delay in nanoseconds on a 64-bit clock, which wraps after 292 years, and a
/// wrapped due time is in the past, so 2^62 s ran at once. Longer delays are refused with this
/// error rather than saturated: a producer (or a worker) asking for centuries has a bug, and
/// being told loses nothing.
inline constexpr std::int64_t kMaxDelaySeconds = 3'155'760'000;

/// `what` names the field in the error ("PushRequest.job.options.delay").
[[nodiscard]] inline sdk::Status check_delay(std::int64_t seconds, std::string_view what) {
  if (seconds <= kMaxDelaySeconds) return sdk::Status::ok();
  return sdk::Status::error(std::string(what) + ": a delay of " + std::to_string(seconds) +
                            " s is longer than the maximum of " + std::to_string(kMaxDelaySeconds) +
                            " s (100 years)");
}

}  // namespace coyote::host::jobs
