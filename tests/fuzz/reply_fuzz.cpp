// libFuzzer: the jobs reply parser (spec 3.4) over arbitrary worker bytes.
#include "jobs/delay_limit.hpp"
#include "jobs/reply.hpp"
#include "jobs/retry_policy.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace jobs = coyote::host::jobs;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto reply = jobs::parse_reply(body);
  if (!reply) {
    if (reply.error().empty()) __builtin_trap();  // every refusal says why
    return 0;
  }
  // Whatever a worker sends, the delay it gets is one the drivers can hold (issue 12 item 10),
  // and it never sets the host's attempt counter (item 8).
  if (reply->delay.count() < 0 || reply->delay.count() > jobs::kMaxDelaySeconds) __builtin_trap();
  if (reply->headers.count(jobs::kAttemptHeader) != 0) __builtin_trap();
  return 0;
}
