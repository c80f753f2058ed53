// Go-style duration text ("1m30s") to milliseconds, as RoadRunner's config reads it.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace coyote::host::config {

/// "60s", "1m30s", "500ms", "1h", "2.5s", "1h2m3.5s", units ns/us/µs/ms/s/m/h; a bare number is
/// seconds ("60", "1.5"). Sub-millisecond remainders are truncated. nullopt when the text is not a
/// duration or is negative (no timeout in .rr.yaml may be negative).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace coyote::host::config
