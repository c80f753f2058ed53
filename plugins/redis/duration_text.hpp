// Durations written as text ("30s", "1m30s", "500ms", "30"), for options that arrive as strings.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace coyote::drivers::redis {

/// Go's duration forms (units ns us ms s m h, fractions allowed) or a bare number of seconds,
/// as the host reads durations in .rr.yaml. nullopt when the text is none of these or negative.
std::optional<std::chrono::milliseconds> parse_duration_text(std::string_view text);

}  // namespace coyote::drivers::redis
