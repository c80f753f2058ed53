// `coyote workers` and `coyote reset`: the jobs worker pool over RPC (informer.*, resetter.*).
#pragma once

#include <CLI/CLI.hpp>

namespace coyote::host::cli {

/// Adds `workers [-i SECONDS]` (a table of the workers, refreshed until Ctrl-C with -i) and
/// `reset` (restart every worker) to `app`, with the client options (options.hpp). Exit codes
/// as in command_failure.hpp.
void add_workers_commands(CLI::App& app);

}  // namespace coyote::host::cli
