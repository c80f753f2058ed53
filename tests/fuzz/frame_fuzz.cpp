// libFuzzer: goridge header parsing and buffered multi-frame parsing over arbitrary bytes.
#include "goridge/frame.hpp"
#include "goridge/frame_buffer.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace g = coyote::host::goridge;
using coyote::host::goridge::FrameBuffer;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes{data, size};
  // The limit comes from the input too so that both sides of the size check get exercised.
  const std::uint32_t limit = size > 0 ? (std::uint32_t{data[0]} << 12) + 64 : 64;

  const auto r = g::parse_header(bytes, limit);
  if (r.status == g::ParseStatus::kOk) {
    if (r.header.header_size() > size || r.header.option_count > g::kMaxOptions ||
        r.header.payload_length > limit) {
      __builtin_trap();
    }
    // A parsed header re-encodes to the same first 12 bytes apart from the version nibble.
    std::uint8_t again[g::kMaxHeaderSize];
    const auto n = g::encode_header(again, r.header.flags, r.header.option_span(),
                                    r.header.payload_length, r.header.stream);
    if (n != r.header.header_size()) __builtin_trap();
  } else if (r.status == g::ParseStatus::kInvalid && r.error.empty()) {
    __builtin_trap();
  }

  // Same bytes through the stream parser, fed in uneven pieces.
  FrameBuffer buffer(limit);
  std::size_t at = 0;
  std::size_t piece = 1;
  while (at < size) {
    const std::size_t n = std::min(piece, size - at);
    buffer.append(bytes.subspan(at, n));
    at += n;
    piece = piece * 3 + 1;
    for (;;) {
      const auto next = buffer.next();
      if (!next) {
        // A broken stream says why, and which rule it broke.
        if (next.error().empty() || buffer.problem() == g::ParseProblem::kNone) __builtin_trap();
        break;
      }
      if (!*next) break;
      if ((*next)->payload.size() != (*next)->header.payload_length) __builtin_trap();
    }
  }
  return 0;
}
