// jobs.v1 message codecs (spec 4.5 protobuf, 4.6 JSON): bytes <-> SDK types, both directions, so
// the server, the CLI client and the tests share one implementation.
#pragma once

#include "rpc/request.hpp"

#include <coyote/sdk/message.hpp>
#include <coyote/sdk/state.hpp>
#include <coyote/sdk/status.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::rpc {

/// Only proto and JSON carry jobs.* messages; anything else fails with a message naming the
/// codecs that work. An empty body decodes to the zero message in both codecs (spec 4.2).
[[nodiscard]] sdk::Status decode_push_request(Codec codec, std::string_view body,
                                              sdk::Message& out);
[[nodiscard]] sdk::Status decode_push_batch_request(Codec codec, std::string_view body,
                                                    std::vector<sdk::Message>& out);
[[nodiscard]] sdk::Status decode_pipelines(Codec codec, std::string_view body,
                                           std::vector<std::string>& out);
[[nodiscard]] sdk::Status decode_declare_request(Codec codec, std::string_view body,
                                                 std::map<std::string, std::string>& out);
[[nodiscard]] sdk::Status decode_empty(Codec codec, std::string_view body);
[[nodiscard]] sdk::Status decode_stats(Codec codec, std::string_view body,
                                       std::vector<sdk::State>& out);

/// Encoders follow Go: JSON omits zero values ({} for an empty message), proto is canonical.
[[nodiscard]] std::string encode_push_request(Codec codec, const sdk::Message& message);
[[nodiscard]] std::string encode_push_batch_request(Codec codec,
                                                    const std::vector<sdk::Message>& messages);
[[nodiscard]] std::string encode_pipelines(Codec codec, const std::vector<std::string>& pipelines);
[[nodiscard]] std::string encode_declare_request(Codec codec,
                                                 const std::map<std::string, std::string>& options);
[[nodiscard]] std::string encode_empty(Codec codec);
[[nodiscard]] std::string encode_stats(Codec codec, const std::vector<sdk::State>& states);

}  // namespace coyote::host::rpc
