// RPC request/response framing (spec 4.2/4.3): one goridge frame per call, decoded without sockets.
#pragma once

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

/// One decoded call. `method` and `body` view into the frame bytes passed to parse_request.
struct Request {
  std::uint32_t seq = 0;
  Codec codec = Codec::kGob;
  std::string_view method;
  std::string_view body;
};

/// Outcome of parse_request. A failure is a header error (spec 4.2): the connection must be
/// closed without a reply.
struct ParsedRequest {
  bool ok = false;
  Request request;
  std::string error;
};

/// Decodes one complete frame (header, options and payload, nothing more). Checks the CRC,
/// `max_payload`, exactly two options and that the method length fits in the payload.
[[nodiscard]] ParsedRequest parse_request(std::span<const std::uint8_t> frame_bytes,
                                          std::uint32_t max_payload);

/// Validates the header-level rules once the goridge header is known (two options, method length
/// within the payload); empty string when fine. Shared by parse_request and the server's reader.
[[nodiscard]] std::string check_request_header(std::uint8_t option_count, std::uint32_t method_len,
                                               std::uint32_t payload_length);

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
