// libFuzzer: what coyote.JobResult and coyote.JobProgress read from a client (any process that
// reaches the RPC port, workers over RR_RPC included), and the answer encoded from what parses.
#include "jobs/result_store.hpp"
#include "rpc/result_methods.hpp"

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rpc = coyote::host::rpc;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  if (auto request = rpc::parse_job_result_request(body)) {
    if (request->id.empty() || request->wait > rpc::kMaxResultWait) __builtin_trap();
    // The answer carries the id back: it must be valid JSON whatever bytes the id holds.
    coyote::host::jobs::JobResult r;
    r.id = request->id;
    boost::system::error_code ec;
    const auto answer = boost::json::parse(rpc::encode_job_result(r), ec);
    if (ec || !answer.is_object() || answer.at("id").as_string() != request->id) __builtin_trap();
  } else if (request.status().message().empty()) {
    __builtin_trap();  // every refusal says why
  }
  if (auto progress = rpc::parse_job_progress_request(body)) {
    // The check-in is shown back as text inside coyote.JobResult's answer, whatever it held
    // (a non-string value is kept as its JSON text; a number beyond double's range as 1e99999).
    coyote::host::jobs::JobResult r;
    r.id = progress->id;
    r.progress = progress->progress;
    boost::system::error_code ec;
    const auto answer = boost::json::parse(rpc::encode_job_result(r), ec);
    if (ec || !answer.is_object() || answer.at("progress").as_string() != progress->progress) {
      __builtin_trap();
    }
  } else if (progress.status().message().empty()) {
    __builtin_trap();
  }
  return 0;
}
