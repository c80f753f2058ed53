// Headers as JSON text in a stream entry: {"name":["value",...],...}.
#pragma once

#include <coyote/sdk/headers.hpp>

#include <string>
#include <string_view>

namespace coyote::drivers::redis {

/// Parses `text` into `out` (cleared first). A value may also be a bare string ("k":"v" is
/// read as ["v"]) so that producers writing entries by hand need not know the array form.
/// Returns false with `error` set (and `out` unspecified) for anything else: not an object,
/// other value types, bad escapes, trailing bytes, nesting.
bool parse_headers_json(std::string_view text, sdk::Headers& out, std::string& error);

}  // namespace coyote::drivers::redis
