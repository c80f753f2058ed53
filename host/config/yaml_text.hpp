// YAML node text helpers shared by the config loader and the schema: one wording everywhere.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>

namespace coyote::host::config {

/// A node for an error message: "a map", "a list", "nothing (null)", or a scalar quoted as JSON.
[[nodiscard]] std::string describe(const YAML::Node& node);

/// `text` quoted as a JSON string (for error messages).
[[nodiscard]] std::string quote_text(std::string_view text);

/// An integer as YAML writes one: optional spaces around, an optional '+'.
[[nodiscard]] bool is_integer_text(std::string_view text);

}  // namespace coyote::host::config
