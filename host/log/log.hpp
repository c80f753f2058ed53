// Host logging: spdlog loggers that share one set of sinks, configured from the `logs` section.
#pragma once

#include "config/key_spec.hpp"

#include <coyote/sdk/config.hpp>

#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

namespace coyote::host::log {

/// The named logger ("jobs", "rpc", "plugin.memory", ...), created on first use with the sinks and
/// level of the current configuration. A logger obtained before configure() follows later
/// configure() calls (its sinks and level are swapped in place). Thread-safe.
std::shared_ptr<spdlog::logger> get(std::string_view name);

/// Applies the `logs` section (mode, level, encoding, output, file_logger_options, channels) to
/// every logger, existing and future, and makes get("coyote") spdlog's default logger. Throws
/// sdk::ConfigError for a bad value or a log file that cannot be opened; on error the previous
/// configuration stays. Safe while other threads log. Do not call spdlog::set_pattern /
/// set_formatter afterwards: they would overwrite the per-output formatters.
void configure(const sdk::Config& cfg);

/// The `logs` section's keys (log.cpp reads exactly these): type, default, doc.
[[nodiscard]] const config::Spec& logs_keys();

/// Back to the built-in defaults (console to stderr, info level); for tests.
void reset();

}  // namespace coyote::host::log
