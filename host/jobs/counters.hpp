// Counters: the jobs outcome counters behind rr_jobs_jobs_* / rr_jobs_push_* (spec 7.1).
#pragma once

#include <cstdint>

namespace coyote::host::jobs {

/// Loop-confined (every writer runs on the event loop thread), hence plain integers.
struct Counters {
  std::uint64_t jobs_ok = 0;   ///< a worker acknowledged the job (types 0/2, unknown types)
  std::uint64_t jobs_err = 0;  ///< failed, malformed reply, soft error, lost worker
  std::uint64_t jobs_requeue =
      0;  ///< requeued by the worker's reply (types 1+requeue, 3+requeue, 4)
  std::uint64_t jobs_retried = 0;  ///< redelivered by the retry policy after a failure
  std::uint64_t jobs_dead = 0;     ///< moved into a dead-letter store
  std::uint64_t jobs_dropped = 0;  ///< failed for good with no dead-letter store (logged by id)
  std::uint64_t push_ok = 0;
  std::uint64_t push_err = 0;
};

}  // namespace coyote::host::jobs
