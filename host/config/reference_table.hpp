// render_key_table: a section's declared keys as the Markdown table config/reference.md shows.
#pragma once

#include "config/key_spec.hpp"

#include <string>
#include <string_view>

namespace coyote::host::config {

/// "| key | default | meaning |" and one row per documented key of `section`, in table order,
/// each written as `prefix.key` (`key` alone for an empty prefix). A key without a doc is
/// documented by its children: a section's keys, or those of a named map's entries (written
/// with the map's placeholder, `jobs.pipelines.<name>.driver`). Throws std::logic_error for a
/// leaf key that has no doc, so an undocumented key fails the reference test.
[[nodiscard]] std::string render_key_table(const Spec& section, std::string_view prefix);

}  // namespace coyote::host::config
