// Headers codec: a job's header map as the compact blob stored in the jobs table.
#pragma once

#include <coyote/sdk/headers.hpp>

#include <string>
#include <string_view>

namespace coyote::drivers::sqlite {

/// Varint-prefixed: key count, then per key its length and bytes, value count, and each value's
/// length and bytes. An empty map encodes to an empty string (stored as NULL).
std::string encode_headers(const sdk::Headers& headers);

/// Bounds-checked: the bytes come from a file that may be damaged. Returns false (leaving
/// `out` partly filled) when the blob is malformed.
bool decode_headers(std::string_view blob, sdk::Headers& out);

}  // namespace coyote::drivers::sqlite
