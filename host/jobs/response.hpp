// Response handling: turns a worker's reply (spec 3.4) or an execution failure into ack / nack /
// requeue on the job's driver, and counts the outcome.
#pragma once

#include "jobs/counters.hpp"
#include "worker/executor.hpp"

#include <coyote/sdk/headers.hpp>
#include <coyote/sdk/job.hpp>

#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace coyote::host::jobs {

/// The jobs reply body {"type": N, "data": {...}} (spec 3.4). `data` is read only for 1/3/4.
struct Reply {
  std::uint64_t type = 0;
  std::string message;
  bool requeue = false;
  std::chrono::seconds delay{0};
  sdk::Headers headers;
};

/// Parses a reply body. Returns nullopt and sets `error` when the body is not the JSON RoadRunner
/// accepts (not JSON, no unsigned `type`, `data` of 1/3/4 not an object, fields of wrong types).
std::optional<Reply> parse_reply(std::string_view body, std::string& error);

/// Why an execution produced no usable reply.
enum class Failure {
  kSoftError,   ///< the worker sent an ERROR frame
  kStreamed,    ///< the reply had the STREAM bit
  kWorkerLost,  ///< crash / EOF / bad frame / exec_ttl
  kMalformed,   ///< the reply body could not be parsed
};

/// Loop thread only. Every job handed to handle() gets exactly one acknowledgement call.
class ResponseHandler {
 public:
  ResponseHandler(Counters& counters, std::shared_ptr<spdlog::logger> log);

  void handle(sdk::Job& job, const worker::ExecOutcome& outcome);

  /// The single place that decides the fate of a job whose execution failed. Today it follows
  /// RoadRunner except for a lost worker, which is redelivered instead of dropped. Attempt
  /// counting and dead-lettering belong here.
  void settle_failed(sdk::Job& job, Failure failure, std::string_view why);

 private:
  void apply_reply(sdk::Job& job, const Reply& reply);
  /// An acknowledgement call failed: count an error and ack, as RoadRunner does "to prevent an
  /// endless loop".
  void ack_after_error(sdk::Job& job, std::string_view what, const sdk::Status& status);

  Counters& counters_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace coyote::host::jobs
