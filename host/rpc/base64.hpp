// Standard base64 (RFC 4648, padded), as Go's encoding/json uses for []byte fields.
#pragma once

#include <coyote/sdk/status.hpp>

#include <string>
#include <string_view>

namespace coyote::host::rpc {

[[nodiscard]] std::string base64_encode(std::string_view bytes);

/// Strict like Go's base64.StdEncoding: padding required, "\r" and "\n" skipped, anything else
/// outside the alphabet fails with "illegal base64 data at input byte N".
[[nodiscard]] sdk::Status base64_decode(std::string_view text, std::string& out);

}  // namespace coyote::host::rpc
