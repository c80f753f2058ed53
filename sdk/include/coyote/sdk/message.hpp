// Message: a job as a producer pushes it (jobs.v1.Job over RPC), before a driver owns it.
#pragma once

#include <coyote/sdk/headers.hpp>

#include <cstdint>
#include <string>

namespace coyote::sdk {

/// Per-job options (jobs.v1.Options). Zero values mean "not set".
struct JobOptions {
  std::int64_t priority = 0;       ///< 0: inherit the pipeline's priority; lower runs first
  std::string pipeline;            ///< target pipeline name
  std::int64_t delay_seconds = 0;  ///< run no earlier than this many seconds after push
  bool auto_ack = false;           ///< driver-level: ack the broker message on receipt
  std::string topic;               ///< kafka-style drivers only
  std::string metadata;            ///< kafka-style drivers only
  std::int64_t offset = 0;         ///< kafka-style drivers only
  std::int32_t partition = 0;      ///< kafka-style drivers only
};

struct Message {
  std::string name;     ///< the job name ("job" in the context JSON), often a PHP class name
  std::string id;       ///< producer-chosen id (a UUID for the PHP client)
  std::string payload;  ///< body bytes, delivered to the worker verbatim
  Headers headers;
  JobOptions options;
};

}  // namespace coyote::sdk
