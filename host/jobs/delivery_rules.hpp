// DeliveryRules: what the response handler asks about a failed job's pipeline.
#pragma once

#include "jobs/retry_policy.hpp"

#include <coyote/sdk/job.hpp>

#include <cstdint>
#include <string_view>

namespace coyote::host::jobs {

/// What the handler needs to know about a job's pipeline; the DeadLetterOffice implements it.
class DeliveryRules {
 public:
  virtual ~DeliveryRules() = default;
  /// The pipeline's retry policy (the defaults for a pipeline it does not know).
  [[nodiscard]] virtual const RetryPolicy& retry_policy(std::string_view pipeline) const = 0;
  /// Keeps a copy of the job in its pipeline's dead-letter store. False when the pipeline has
  /// no dead_letter, so the caller drops the job (and says so).
  virtual bool bury(const sdk::Job& job, std::string_view reason, std::int64_t attempts) = 0;
};

}  // namespace coyote::host::jobs
