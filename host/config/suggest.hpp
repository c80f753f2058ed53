// "Did you mean ...?": the closest known name to a mistyped key.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::config {

/// Edit distance counting insertions, deletions, substitutions and swaps of two adjacent
/// characters as one edit each (so "jbos" is 1 away from "jobs").
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate nearest to `name` when it is close enough to be a plausible typo (at most 1 edit
/// for names up to 4 characters, 2 up to 8, else a quarter of the length), else nullopt.
std::optional<std::string> closest_match(std::string_view name,
                                         const std::vector<std::string_view>& candidates);

}  // namespace coyote::host::config
