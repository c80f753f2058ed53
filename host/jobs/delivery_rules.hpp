// DeliveryRules: what the response handler asks about a failed job's pipeline.
#pragma once

#include "jobs/retry_policy.hpp"

#include <coyote/sdk/job.hpp>

#include <coyote/sdk/status.hpp>

#include <cstdint>
#include <functional>
#include <string_view>

namespace coyote::host::jobs {

/// What the handler needs to know about a job's pipeline; the DeadLetterOffice implements it.
class DeliveryRules {
 public:
  virtual ~DeliveryRules() = default;
  /// The pipeline's retry policy (the defaults for a pipeline it does not know).
  [[nodiscard]] virtual const RetryPolicy& retry_policy(std::string_view pipeline) const = 0;
  using Held = std::function<void(sdk::Status)>;
  /// Hands a copy of the job to its pipeline's dead letter (the host's default store when the
  /// pipeline names none). `held` runs on the loop, possibly before bury returns: ok once the
  /// dead job is safely held (fsync'ed when the store is durable, confirmed by a dead-letter
  /// pipeline's driver), so the caller may acknowledge the original; else the error, and the
  /// caller must leave the original with its driver. The caller keeps the job alive until then
  /// and may destroy it as soon as `held` runs: bury must not touch it afterwards.
  virtual void bury(const sdk::Job& job, std::string_view reason, std::int64_t attempts,
                    Held held) = 0;
};

}  // namespace coyote::host::jobs
