#include "goridge/frame.hpp"

#include <boost/crc.hpp>

#include <cstring>

namespace coyote::host::goridge {
namespace {

std::uint32_t read_le32(const std::uint8_t* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

void write_le32(std::uint8_t* p, std::uint32_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
  p[2] = static_cast<std::uint8_t>(v >> 16);
  p[3] = static_cast<std::uint8_t>(v >> 24);
}

constexpr std::string_view kPhpCouldNotOpen = "Could not op";

}  // namespace

std::uint32_t header_crc(const std::uint8_t* first_six_bytes) noexcept {
  boost::crc_32_type crc;
  crc.process_bytes(first_six_bytes, 6);
  return crc.checksum();
}

ParseResult parse_header(std::span<const std::uint8_t> data, std::uint32_t max_payload) {
  ParseResult result;
  if (data.size() < kHeaderSize) {
    result.needed = kHeaderSize;
    return result;
  }
  const std::uint8_t* p = data.data();
  auto invalid = [&](ParseProblem problem, std::string why) {
    result.status = ParseStatus::kInvalid;
    result.problem = problem;
    result.error = std::move(why);
    return result;
  };

  // PHP prints "Could not open input file: x.php" when the worker script path is wrong.
  if (std::memcmp(p, kPhpCouldNotOpen.data(), kHeaderSize) == 0) {
    return invalid(ParseProblem::kPhpCouldNotOpen,
                   "worker printed \"" +
                       std::string(reinterpret_cast<const char*>(p), data.size()) +
                       "\" instead of a frame: the worker script was not found");
  }

  const std::uint32_t stored_crc = read_le32(p + 6);
  if (header_crc(p) != stored_crc) {
    return invalid(ParseProblem::kBadCrc,
                   "invalid frame header (CRC mismatch), received: " + describe_bytes(data));
  }

  const std::uint8_t words = p[0] & 0x0f;
  if (words < 3)
    return invalid(ParseProblem::kBadHeaderLength,
                   "frame header length " + std::to_string(words) + " words is below 3");
  const std::size_t option_count = words - 3u;
  if (option_count > kMaxOptions) {
    return invalid(ParseProblem::kBadHeaderLength,
                   "frame carries " + std::to_string(option_count) + " options, at most " +
                       std::to_string(kMaxOptions) + " are allowed");
  }

  result.header.version = static_cast<std::uint8_t>(p[0] >> 4);
  result.header.flags = p[1];
  result.header.payload_length = read_le32(p + 2);
  result.header.stream = p[10];
  result.header.option_count = static_cast<std::uint8_t>(option_count);

  if (result.header.payload_length > max_payload) {
    return invalid(ParseProblem::kTooLarge,
                   "frame payload of " + std::to_string(result.header.payload_length) +
                       " bytes exceeds the limit of " + std::to_string(max_payload) + " bytes");
  }

  const std::size_t header_size = result.header.header_size();
  if (data.size() < header_size) {
    result.needed = header_size;
    return result;
  }
  for (std::size_t i = 0; i < option_count; ++i) {
    result.header.options[i] = read_le32(p + kHeaderSize + 4 * i);
  }
  result.status = ParseStatus::kOk;
  result.needed = header_size;
  return result;
}

std::size_t encode_header(std::uint8_t* out, std::uint8_t flags,
                          std::span<const std::uint32_t> options, std::uint32_t payload_length,
                          std::uint8_t stream) noexcept {
  const std::size_t option_count = options.size() > kMaxOptions ? kMaxOptions : options.size();
  out[0] = static_cast<std::uint8_t>((kVersion1 << 4) | ((3 + option_count) & 0x0f));
  out[1] = flags;
  write_le32(out + 2, payload_length);
  write_le32(out + 6, header_crc(out));
  out[10] = stream;
  out[11] = 0;
  for (std::size_t i = 0; i < option_count; ++i) write_le32(out + kHeaderSize + 4 * i, options[i]);
  return kHeaderSize + 4 * option_count;
}

std::string encode_frame(std::uint8_t flags, std::span<const std::uint32_t> options,
                         std::string_view payload, std::uint8_t stream) {
  std::uint8_t header[kMaxHeaderSize];
  const std::size_t n =
      encode_header(header, flags, options, static_cast<std::uint32_t>(payload.size()), stream);
  std::string out;
  out.reserve(n + payload.size());
  out.append(reinterpret_cast<const char*>(header), n);
  out.append(payload);
  return out;
}

std::string describe_bytes(std::span<const std::uint8_t> bytes, std::size_t limit) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::size_t n = bytes.size() < limit ? bytes.size() : limit;
  std::string hex;
  std::string text;
  hex.reserve(n * 3);
  text.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t b = bytes[i];
    if (i != 0) hex.push_back(' ');
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 0x0f]);
    text.push_back(b >= 0x20 && b < 0x7f ? static_cast<char>(b) : '.');
  }
  if (bytes.size() > n) {
    hex += " ...";
    text += "...";
  }
  return "[" + hex + "] \"" + text + "\"";
}

}  // namespace coyote::host::goridge
