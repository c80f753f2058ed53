// libFuzzer: the nats driver's decoding of a delivered message (JSON body + NATS headers →
// Message) over arbitrary bytes. Input: header lines "key: value\n" up to the first empty line,
// then the body. Anything decodes (a foreign body becomes the payload whole); a decoded
// RoadRunner envelope must survive encode → decode unchanged.
#include "nats/rr_message.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace n = coyote::drivers::nats;

namespace {
std::string fixed_id() { return "fuzz-id"; }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::pair<std::string, std::string>> headers;
  std::size_t pos = 0;
  while (pos < input.size()) {
    const std::size_t eol = input.find('\n', pos);
    if (eol == std::string_view::npos || eol == pos) break;
    const std::string_view line = input.substr(pos, eol - pos);
    const std::size_t colon = line.find(':');
    headers.emplace_back(
        std::string(line.substr(0, colon)),
        colon == std::string_view::npos ? std::string() : std::string(line.substr(colon + 1)));
    pos = eol + 1;
  }
  if (pos < input.size() && input[pos] == '\n') ++pos;
  const std::string_view body = input.substr(pos);

  const auto decoded = n::decode_message(body, headers, "p", 5, &fixed_id);
  if (decoded.message.options.pipeline != "p") __builtin_trap();
  if (decoded.message.id.empty()) __builtin_trap();
  if (decoded.message.options.priority == 0) __builtin_trap();
  if (decoded.foreign) {
    if (decoded.message.payload != body || decoded.foreign_reason.empty()) __builtin_trap();
    return 0;
  }
  const std::string again = n::encode_body(decoded.message);
  const auto round = n::decode_message(again, {}, "p", 5, &fixed_id);
  if (round.foreign || round.message.name != decoded.message.name ||
      round.message.id != decoded.message.id || round.message.payload != decoded.message.payload ||
      round.message.options.priority != decoded.message.options.priority ||
      round.message.options.delay_seconds != decoded.message.options.delay_seconds ||
      round.message.options.auto_ack != decoded.message.options.auto_ack) {
    __builtin_trap();
  }
  std::vector<std::string> dropped;
  (void)n::wire_headers(decoded.message.headers, &dropped);
  std::string base;
  if (!n::base64_decode(n::base64_encode(decoded.message.payload), base) ||
      base != decoded.message.payload) {
    __builtin_trap();
  }
  return 0;
}
