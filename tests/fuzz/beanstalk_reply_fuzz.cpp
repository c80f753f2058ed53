// libFuzzer: the beanstalk driver's reply parser, stats readers and envelope decoder over
// arbitrary bytes (all three read what a beanstalkd server, or a foreign producer, sent).
#include "beanstalk/beanstalk_protocol.hpp"
#include "beanstalk/envelope.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace p = coyote::drivers::beanstalk::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // The data limit comes from the input so both sides of the size check get exercised.
  const std::size_t max_data = size > 0 ? (std::size_t{data[0]} << 4) : 16;

  std::string_view rest = input;
  while (!rest.empty()) {
    const auto r = p::parse_reply(rest, max_data);
    if (r.status == p::ParseStatus::kNeedMore) break;
    if (r.status == p::ParseStatus::kInvalid) {
      if (r.error.empty()) __builtin_trap();
      break;
    }
    if (r.consumed == 0 || r.consumed > rest.size()) __builtin_trap();
    if (r.reply.data.size() > max_data) __builtin_trap();
    if (!r.reply.data.empty() &&
        (r.reply.data.data() < rest.data() ||
         r.reply.data.data() + r.reply.data.size() > rest.data() + r.consumed)) {
      __builtin_trap();
    }
    (void)p::parse_job_stats(r.reply.data);
    (void)p::parse_tube_stats(r.reply.data);
    (void)p::parse_server_stats(r.reply.data);
    rest.remove_prefix(r.consumed);
  }

  (void)p::parse_job_stats(input);
  (void)p::parse_tube_stats(input);
  coyote::sdk::Message message;
  if (coyote::drivers::beanstalk::decode_envelope(input, message)) {
    // What decodes re-encodes to something that decodes to the same job.
    std::string again;
    coyote::drivers::beanstalk::encode_envelope(message, again);
    coyote::sdk::Message twice;
    if (!coyote::drivers::beanstalk::decode_envelope(again, twice)) __builtin_trap();
    if (twice.id != message.id || twice.name != message.name || twice.payload != message.payload ||
        twice.headers != message.headers || twice.options.priority != message.options.priority) {
      __builtin_trap();
    }
  }
  (void)p::check_tube_name(input);
  return 0;
}
