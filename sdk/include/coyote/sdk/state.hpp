// State: what a driver reports for jobs.Stat and informer.Jobs (RoadRunner's jobs.State).
#pragma once

#include <cstdint>
#include <string>

namespace coyote::sdk {

struct State {
  std::string pipeline;
  std::string driver;
  std::string queue;        ///< queue/tube name; the memory driver reports the pipeline name
  std::int64_t active = 0;  ///< consumed by the driver and not yet acked/nacked (memory: in flight)
  std::int64_t delayed = 0;  ///< waiting for a delay to expire
  std::int64_t reserved = 0;
  bool ready = false;  ///< the driver's consumer is running (false: paused or never started)
  std::uint64_t priority = 0;
  std::string error;  ///< last driver error, empty when healthy (informer.Jobs ErrorMessage)
};

}  // namespace coyote::sdk
