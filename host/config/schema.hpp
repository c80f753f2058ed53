// Schema validation of the .rr.yaml sections Coyote owns (version, rpc, server, logs, jobs,
// coyote): unknown keys with a "did you mean", wrong types, bad enum values, cross-key rules.
#pragma once

#include "config/config_document.hpp"
#include "config/diagnostic.hpp"

#include <vector>

namespace coyote::host::config {

struct ValidateOptions {
  /// `coyote serve` needs a worker command: server.command, or a command on every pool.
  bool require_server_command = true;
};

/// Every finding, errors and warnings, in file order of the sections checked. Sections of other
/// RoadRunner plugins (http, kv, metrics, ...) and driver-owned `jobs.pipelines.<name>.config`
/// maps are not looked into.
std::vector<Diagnostic> validate(const ConfigDocument& doc, const ValidateOptions& options = {});

/// validate(), throwing the first error as sdk::ConfigError; returns the warnings (for the log).
std::vector<Diagnostic> validate_or_throw(const ConfigDocument& doc,
                                          const ValidateOptions& options = {});

}  // namespace coyote::host::config
