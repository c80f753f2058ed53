// JobWireDecoder: jobs.v1.PushBatchRequest / PushRequest protobuf bytes straight into SDK messages.
#pragma once

#include <coyote/sdk/message.hpp>
#include <coyote/sdk/status.hpp>

#include <string_view>
#include <vector>

namespace coyote::host::rpc {

/// Accepts exactly the bytes libprotobuf 3.21's generated parser accepts for these messages and
/// yields the same content (tests/fuzz/push_wire_fuzz.cpp checks it against libprotobuf): unknown
/// fields and groups skipped, the last of a repeated singular field wins, a repeated embedded
/// message merges, duplicate header keys keep the last entry, proto3 strings must be valid UTF-8,
/// nesting stops at libprotobuf's recursion limit (100). No intermediate message is built: every
/// string is copied once, from the body into the SDK message.
[[nodiscard]] sdk::Status decode_push_batch_wire(std::string_view body,
                                                 std::vector<sdk::Message>& out);
/// `out` is merged into, as libprotobuf merges: pass a default Message for a fresh decode.
[[nodiscard]] sdk::Status decode_push_wire(std::string_view body, sdk::Message& out);

}  // namespace coyote::host::rpc
