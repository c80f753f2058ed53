// `coyote jobs dead list|replay|delete`: the dead-letter stores from the command line.
#pragma once

#include <CLI/CLI.hpp>

namespace coyote::host::cli {

/// Adds `dead` under the `jobs` command (add_jobs_commands returns it):
///   coyote jobs dead list   [--store NAME] [--json]
///   coyote jobs dead replay [--store NAME] (ID... | --all) [--json]
///   coyote jobs dead delete [--store NAME] (ID... | --all) [--json]
/// each with the client options (options.hpp) and the same exit codes (1 service error or some
/// ids failed, 2 usage, 3 cannot connect).
void add_dead_commands(CLI::App& jobs);

}  // namespace coyote::host::cli
