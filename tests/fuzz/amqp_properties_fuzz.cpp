// libFuzzer: what a broker sends in a content header (basic properties with the rr_* header
// table), decoded by rabbitmq-c and then by the amqp driver into a job, then re-encoded and
// decoded again: the job must survive the round trip.
#include "amqp/wire_format.hpp"

#include <amqp.h>
#include <amqp_framing.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using namespace coyote::drivers::amqp;

namespace {

bool is_rr(const std::string& key) { return key.rfind("rr_", 0) == 0; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  amqp_pool_t pool;
  init_amqp_pool(&pool, 4096);
  void* decoded = nullptr;
  const amqp_bytes_t bytes{size, const_cast<std::uint8_t*>(data)};
  if (amqp_decode_properties(AMQP_BASIC_CLASS, &pool, bytes, &decoded) == 0 && decoded != nullptr) {
    const auto& props = *static_cast<const amqp_basic_properties_t*>(decoded);
    const DecodedJob first = decode_properties(props, 10);
    if (first.message.id.empty() || first.message.name.empty()) __builtin_trap();
    if (first.message.options.priority == 0) __builtin_trap();  // 0 becomes the pipeline's

    const OutgoingMessage out(first.message, first.rr_pipeline, 0);
    static std::vector<char> buffer(1 << 20);  // once: zeroing 1 MiB per input would dominate
    const int n = amqp_encode_properties(AMQP_BASIC_CLASS,
                                         const_cast<amqp_basic_properties_t*>(out.properties()),
                                         amqp_bytes_t{buffer.size(), buffer.data()});
    if (n > 0) {
      amqp_pool_t pool2;
      init_amqp_pool(&pool2, 4096);
      void* again = nullptr;
      if (amqp_decode_properties(AMQP_BASIC_CLASS, &pool2,
                                 amqp_bytes_t{static_cast<std::size_t>(n), buffer.data()},
                                 &again) != 0) {
        __builtin_trap();  // what we write must be readable
      }
      const DecodedJob second =
          decode_properties(*static_cast<const amqp_basic_properties_t*>(again), 10);
      const auto& a = first.message;
      const auto& b = second.message;
      if (b.id != a.id || b.name != a.name || second.rr_pipeline != first.rr_pipeline ||
          b.options.priority != a.options.priority || b.options.auto_ack != a.options.auto_ack ||
          b.options.delay_seconds !=
              std::clamp<std::int64_t>(a.options.delay_seconds, INT32_MIN, INT32_MAX)) {
        __builtin_trap();
      }
      for (const auto& [key, values] : a.headers) {
        if (is_rr(key)) continue;
        auto it = b.headers.find(key);
        if (it == b.headers.end() || it->second != values) __builtin_trap();
      }
      empty_amqp_pool(&pool2);
    }
  }
  empty_amqp_pool(&pool);
  return 0;
}
