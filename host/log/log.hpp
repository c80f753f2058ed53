// Host logging: spdlog loggers that share one set of sinks, configured from the `logs` section.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

namespace coyote::host::log {

/// The named logger ("jobs", "rpc", "plugin.memory", ...), created on first use with the sinks and
/// level of the current configuration. Thread-safe.
std::shared_ptr<spdlog::logger> get(std::string_view name);

}  // namespace coyote::host::log
