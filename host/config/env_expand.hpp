// ${VAR} / ${VAR:-default} expansion of config values, as RoadRunner does before reading them.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace coyote::host::config {

/// Returns the variable's value, or nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

/// The process environment (getenv).
EnvLookup process_environment();

/// How deep `${A:-${B:-...}}` defaults may nest. Real configs nest one or two levels; the bound
/// keeps a hostile value from exhausting the stack (50 000 levels crashed the host) and keeps
/// the cost linear.
inline constexpr int kMaxEnvNesting = 32;

/// Replaces every `${NAME}` with the variable's value (empty when unset) and `${NAME:-default}`
/// with the value, or `default` (itself expanded) when the variable is unset or empty. `$NAME`
/// without braces is left alone: server.env expands those later, against the worker's
/// environment. An unterminated `${` is kept as written. Throws std::invalid_argument when
/// defaults nest deeper than kMaxEnvNesting.
std::string expand_env(std::string_view text, const EnvLookup& lookup);

}  // namespace coyote::host::config
