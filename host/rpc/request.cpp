#include "rpc/request.hpp"

#include "goridge/frame.hpp"

#include <array>

namespace coyote::host::rpc {

namespace gf = goridge::flag;

std::string_view codec_name(Codec codec) noexcept {
  switch (codec) {
    case Codec::kRaw:
      return "raw";
    case Codec::kJson:
      return "json";
    case Codec::kMsgpack:
      return "msgpack";
    case Codec::kGob:
      return "gob";
    case Codec::kProto:
      return "proto";
  }
  return "unknown";
}

Codec choose_codec(std::uint8_t flags) noexcept {
  if ((flags & gf::kCodecProto) != 0) return Codec::kProto;
  if ((flags & gf::kCodecJson) != 0) return Codec::kJson;
  if ((flags & gf::kCodecRaw) != 0) return Codec::kRaw;
  if ((flags & gf::kCodecMsgpack) != 0) return Codec::kMsgpack;
  return Codec::kGob;
}

std::string check_request_header(std::uint8_t option_count, std::uint32_t method_len,
                                 std::uint32_t payload_length) {
  if (option_count != 2) {
    return "should be 2 options. SEQ_ID and METHOD_LEN, got " + std::to_string(option_count);
  }
  if (method_len > payload_length) {
    return "method name length " + std::to_string(method_len) + " exceeds the payload of " +
           std::to_string(payload_length) + " bytes";
  }
  return {};
}

ParsedRequest parse_request(std::span<const std::uint8_t> frame_bytes, std::uint32_t max_payload) {
  ParsedRequest out;
  const goridge::ParseResult parsed = goridge::parse_header(frame_bytes, max_payload);
  if (parsed.status == goridge::ParseStatus::kInvalid) {
    out.error = parsed.error;
    return out;
  }
  if (parsed.status == goridge::ParseStatus::kNeedMore) {
    out.error = "truncated frame header: " + std::to_string(frame_bytes.size()) + " of " +
                std::to_string(parsed.needed) + " bytes";
    return out;
  }
  const goridge::Header& h = parsed.header;
  if (frame_bytes.size() != h.frame_size()) {
    out.error = "frame is " + std::to_string(frame_bytes.size()) + " bytes, its header says " +
                std::to_string(h.frame_size());
    return out;
  }
  const std::uint32_t method_len = h.option_count >= 2 ? h.options[1] : 0;
  out.error = check_request_header(h.option_count, method_len, h.payload_length);
  if (!out.error.empty()) return out;

  const char* payload = reinterpret_cast<const char*>(frame_bytes.data() + h.header_size());
  out.request.seq = h.options[0];
  out.request.codec = choose_codec(h.flags);
  out.request.method = std::string_view(payload, method_len);
  out.request.body = std::string_view(payload + method_len, h.payload_length - method_len);
  out.ok = true;
  return out;
}

namespace {

std::string encode_call_frame(std::uint8_t flags, std::uint32_t seq, std::string_view method,
                              std::string_view body) {
  const std::array<std::uint32_t, 2> options{seq, static_cast<std::uint32_t>(method.size())};
  std::uint8_t header[goridge::kMaxHeaderSize];
  const std::size_t n = goridge::encode_header(
      header, flags, options, static_cast<std::uint32_t>(method.size() + body.size()));
  std::string out;
  out.reserve(n + method.size() + body.size());
  out.append(reinterpret_cast<const char*>(header), n);
  out.append(method);
  out.append(body);
  return out;
}

}  // namespace

std::string encode_reply(std::uint32_t seq, Codec codec, std::string_view method,
                         std::string_view body) {
  return encode_call_frame(static_cast<std::uint8_t>(codec), seq, method, body);
}

std::string encode_error(std::uint32_t seq, Codec codec, std::string_view method,
                         std::string_view error) {
  return encode_call_frame(static_cast<std::uint8_t>(static_cast<std::uint8_t>(codec) | gf::kError),
                           seq, method, error);
}

std::string encode_request(std::uint32_t seq, std::uint8_t flags, std::string_view method,
                           std::string_view body) {
  return encode_call_frame(flags, seq, method, body);
}

}  // namespace coyote::host::rpc
