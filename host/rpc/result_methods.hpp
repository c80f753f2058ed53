// Result methods: coyote.JobResult (fetch, long-poll) and coyote.JobProgress (worker check-ins).
#pragma once

#include "jobs/result_store.hpp"
#include "rpc/method_table.hpp"

#include <coyote/sdk/result.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace coyote::host::rpc {

/// Longest coyote.JobResult wait: below the RPC client's 60 s call timeout.
inline constexpr std::chrono::milliseconds kMaxResultWait{55'000};

/// JSON codec. coyote.JobResult {"id": "...", "wait_ms": 10000} answers the job's state, result,
/// error, attempts and last progress, waiting up to wait_ms for a job that has not finished;
/// coyote.JobProgress {"id": "...", "progress": "..."} records a worker's check-in. `results`
/// nullptr (jobs.results absent): both answer an error that says how to turn results on.
void add_result_methods(MethodTable& table, jobs::ResultStore* results);

/// A decoded coyote.JobResult request.
struct JobResultRequest {
  std::string id;
  std::chrono::milliseconds wait{0};
};
/// A decoded coyote.JobProgress request (the id may be empty: the store refuses it).
struct JobProgressRequest {
  std::string id;
  std::string progress;  ///< a JSON string as its text, any other value serialized
};

/// The request bodies as a client sends them (JSON): an error names what to fix. Pure, so a
/// fuzzer can drive them.
[[nodiscard]] sdk::Result<JobResultRequest> parse_job_result_request(std::string_view body);
[[nodiscard]] sdk::Result<JobProgressRequest> parse_job_progress_request(std::string_view body);

/// The JSON object coyote.JobResult answers.
[[nodiscard]] std::string encode_job_result(const jobs::JobResult& result);

}  // namespace coyote::host::rpc
