// `coyote jobs result` / `coyote jobs progress`: job results and check-ins from the command line.
#pragma once

#include <CLI/CLI.hpp>

namespace coyote::host::cli {

/// Adds under `jobs`:
///   coyote jobs result ID [--wait 10s] [--json]   state, result, error, attempts, progress
///   coyote jobs progress ID TEXT                   a check-in (what a worker sends over RR_RPC)
/// Exit codes: 0 finished successfully (or progress recorded), 1 service error or the job
/// failed, 2 usage, 3 cannot connect, 4 not finished within the wait (running or unknown).
void add_result_commands(CLI::App& jobs);

}  // namespace coyote::host::cli
