#include "rpc/request.hpp"

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

sdk::Result<Request> request_from(const goridge::Header& header, std::string_view payload) {
  if (header.option_count != 2) {
    return sdk::Status::error("should be 2 options. SEQ_ID and METHOD_LEN, got " +
                              std::to_string(header.option_count));
  }
  const std::uint32_t method_len = header.options[1];
  if (method_len > payload.size()) {
    return sdk::Status::error("method name length " + std::to_string(method_len) +
                              " exceeds the payload of " + std::to_string(payload.size()) +
                              " bytes");
  }
  Request request;
  request.seq = header.options[0];
  request.codec = choose_codec(header.flags);
  request.method = payload.substr(0, method_len);
  request.body = payload.substr(method_len);
  return request;
}

sdk::Result<Request> parse_request(std::span<const std::uint8_t> frame_bytes,
                                   std::uint32_t max_payload) {
  goridge::ParseResult parsed = goridge::parse_header(frame_bytes, max_payload);
  if (parsed.status == goridge::ParseStatus::kInvalid) {
    return sdk::Status::error(std::move(parsed.error));
  }
  if (parsed.status == goridge::ParseStatus::kNeedMore) {
    return sdk::Status::error("truncated frame header: " + std::to_string(frame_bytes.size()) +
                              " of " + std::to_string(parsed.needed) + " bytes");
  }
  const goridge::Header& h = parsed.header;
  if (frame_bytes.size() != h.frame_size()) {
    return sdk::Status::error("frame is " + std::to_string(frame_bytes.size()) +
                              " bytes, its header says " + std::to_string(h.frame_size()));
  }
  return request_from(
      h, std::string_view(reinterpret_cast<const char*>(frame_bytes.data()) + h.header_size(),
                          h.payload_length));
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
