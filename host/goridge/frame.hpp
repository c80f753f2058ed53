// goridge frame codec (spec 1): the 12-byte header, option words, and header CRC.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace coyote::host::goridge {

inline constexpr std::uint8_t kVersion1 = 1;
inline constexpr std::size_t kHeaderSize = 12;
inline constexpr std::size_t kMaxOptions = 10;
inline constexpr std::size_t kMaxHeaderSize = kHeaderSize + 4 * kMaxOptions;

/// Byte 1 of the header (spec 1.2).
namespace flag {
inline constexpr std::uint8_t kControl = 0x01;
inline constexpr std::uint8_t kCodecRaw = 0x04;
inline constexpr std::uint8_t kCodecJson = 0x08;
inline constexpr std::uint8_t kCodecMsgpack = 0x10;
inline constexpr std::uint8_t kCodecGob = 0x20;
inline constexpr std::uint8_t kError = 0x40;
inline constexpr std::uint8_t kCodecProto = 0x80;
}  // namespace flag

/// Byte 10 of the header (spec 1.3).
namespace stream_flag {
inline constexpr std::uint8_t kStream = 0x01;
inline constexpr std::uint8_t kStop = 0x02;
inline constexpr std::uint8_t kPing = 0x04;
inline constexpr std::uint8_t kPong = 0x08;
}  // namespace stream_flag

struct Header {
  std::uint8_t version = kVersion1;
  std::uint8_t flags = 0;
  std::uint8_t stream = 0;
  std::uint32_t payload_length = 0;
  std::uint8_t option_count = 0;
  std::array<std::uint32_t, kMaxOptions> options{};

  [[nodiscard]] std::size_t header_size() const noexcept {
    return kHeaderSize + std::size_t{4} * option_count;
  }
  [[nodiscard]] std::size_t frame_size() const noexcept { return header_size() + payload_length; }
  [[nodiscard]] bool has(std::uint8_t f) const noexcept { return (flags & f) != 0; }
  [[nodiscard]] std::span<const std::uint32_t> option_span() const noexcept {
    return {options.data(), option_count};
  }
};

enum class ParseStatus {
  kOk,        ///< `header` is complete; the payload follows at header.header_size()
  kNeedMore,  ///< fewer than `needed` bytes are available; call again with more
  kInvalid,   ///< the stream is corrupt; `error` says why. Close the connection/worker.
};

/// Why a header was refused, so each transport can word its own hint (a worker that printed to
/// stdout is not the same story as a bad RPC client).
enum class ParseProblem { kNone, kBadCrc, kPhpCouldNotOpen, kBadHeaderLength, kTooLarge };

struct ParseResult {
  ParseStatus status = ParseStatus::kNeedMore;
  ParseProblem problem = ParseProblem::kNone;
  Header header;
  std::size_t needed = kHeaderSize;  ///< bytes of header needed (kNeedMore)
  std::string error;                 ///< kInvalid only
};

/// CRC-32/IEEE over header bytes 0..5 (Boost.CRC).
[[nodiscard]] std::uint32_t header_crc(const std::uint8_t* first_six_bytes) noexcept;

/// Parses the header at the start of `data` (spec 1.4): checks HL >= 3, the CRC, and that the
/// payload does not exceed `max_payload`. A CRC mismatch error quotes the offending bytes, which
/// is what a worker that printed to stdout looks like. Does not require the payload to be present.
[[nodiscard]] ParseResult parse_header(std::span<const std::uint8_t> data,
                                       std::uint32_t max_payload);

/// Writes a header for `payload_length` bytes of payload into `out` (at least
/// kHeaderSize + 4 * options.size() bytes) and returns the bytes written. The payload itself is
/// sent separately (scatter/gather), so encoding never copies it.
std::size_t encode_header(std::uint8_t* out, std::uint8_t flags,
                          std::span<const std::uint32_t> options, std::uint32_t payload_length,
                          std::uint8_t stream = 0) noexcept;

/// Header plus payload in one string; for control frames, tests and small replies.
[[nodiscard]] std::string encode_frame(std::uint8_t flags, std::span<const std::uint32_t> options,
                                       std::string_view payload, std::uint8_t stream = 0);

/// "13 09 0d ..." (at most `limit` bytes, then "..."), plus a printable rendering, for logs.
[[nodiscard]] std::string describe_bytes(std::span<const std::uint8_t> bytes,
                                         std::size_t limit = 64);

}  // namespace coyote::host::goridge
