// RPC request/response framing (spec 4.2/4.3): one goridge frame per call, decoded without sockets.
#pragma once

#include "goridge/frame.hpp"

#include <coyote/sdk/result.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace coyote::host::rpc {

/// Codec bits as they appear in the frame flags (spec 1.2); one of them is chosen per request.
enum class Codec : std::uint8_t {
  kRaw = 0x04,
  kJson = 0x08,
  kMsgpack = 0x10,
  kGob = 0x20,
  kProto = 0x80,
};

[[nodiscard]] std::string_view codec_name(Codec codec) noexcept;

/// Go's precedence, not equality: proto, JSON, raw, msgpack, gob; no codec bit at all means gob.
[[nodiscard]] Codec choose_codec(std::uint8_t flags) noexcept;

/// One decoded call. `method` and `body` view into the frame's payload.
struct Request {
  std::uint32_t seq = 0;
  Codec codec = Codec::kGob;
  std::string_view method;
  std::string_view body;
};

/// The call in a frame whose goridge header is already parsed (and its CRC checked): exactly two
/// options (seq, method length) and a method length within the payload. An error is a header
/// error (spec 4.2): the connection must be closed without a reply.
[[nodiscard]] sdk::Result<Request> request_from(const goridge::Header& header,
                                                std::string_view payload);

/// Decodes one complete frame from raw bytes (header, options and payload, nothing more): the
/// header, `max_payload`, then request_from. For the fuzzer and tests; the server reads frames
/// with goridge::FrameBuffer and calls request_from.
[[nodiscard]] sdk::Result<Request> parse_request(std::span<const std::uint8_t> frame_bytes,
                                                 std::uint32_t max_payload);

/// A reply frame: flags = codec, options = [seq, len(method)], payload = method ‖ body.
[[nodiscard]] std::string encode_reply(std::uint32_t seq, Codec codec, std::string_view method,
                                       std::string_view body);

/// An error reply frame: flags = codec | ERROR, payload = method ‖ error text.
[[nodiscard]] std::string encode_error(std::uint32_t seq, Codec codec, std::string_view method,
                                       std::string_view error);

/// A request frame, as a client sends it (used by the CLI client and the tests).
[[nodiscard]] std::string encode_request(std::uint32_t seq, std::uint8_t flags,
                                         std::string_view method, std::string_view body);

}  // namespace coyote::host::rpc
