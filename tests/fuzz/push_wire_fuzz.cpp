// Differential: the same bytes through libprotobuf and through the direct wire decoder of
// jobs.PushBatch / jobs.Push. Any difference in accept/reject or in the decoded jobs aborts.
#include "rpc/job_wire_decoder.hpp"
#include "support/libprotobuf_jobs.hpp"

#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace {

namespace rpc = coyote::host::rpc;
namespace test = coyote::test;

[[noreturn]] void differ(const char* what) {
  std::fprintf(stderr, "push_wire_fuzz: the decoders differ: %s\n", what);
  std::abort();
}

// libprotobuf logs every UTF-8 refusal: silence it, the fuzzer makes millions.
void quiet(google::protobuf::LogLevel /*level*/, const char* /*file*/, int /*line*/,
           const std::string& /*message*/) {}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool installed = (google::protobuf::SetLogHandler(&quiet), true);
  (void)installed;
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  std::vector<coyote::sdk::Message> expected;
  std::vector<coyote::sdk::Message> actual;
  const bool lib_ok = test::libprotobuf_push_batch(body, expected);
  const bool our_ok = static_cast<bool>(rpc::decode_push_batch_wire(body, actual));
  if (lib_ok != our_ok)
    differ(lib_ok ? "PushBatchRequest: libprotobuf accepts, we refuse"
                  : "PushBatchRequest: libprotobuf refuses, we accept");
  if (lib_ok) {
    if (expected.size() != actual.size()) differ("PushBatchRequest: job count");
    for (std::size_t i = 0; i < expected.size(); ++i) {
      if (!test::same_message(expected[i], actual[i])) differ("PushBatchRequest: job content");
    }
  }

  coyote::sdk::Message one_expected;
  coyote::sdk::Message one_actual;
  const bool lib_one = test::libprotobuf_push(body, one_expected);
  const bool our_one = static_cast<bool>(rpc::decode_push_wire(body, one_actual));
  if (lib_one != our_one)
    differ(lib_one ? "PushRequest: libprotobuf accepts, we refuse"
                   : "PushRequest: libprotobuf refuses, we accept");
  if (lib_one && !test::same_message(one_expected, one_actual)) differ("PushRequest: content");
  return 0;
}
