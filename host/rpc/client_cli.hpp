// The CLI client commands: `coyote jobs ...`, `coyote workers`, `coyote reset`.
#pragma once

#include <CLI/CLI.hpp>

namespace coyote::host::rpc {

/// Exit codes of the client commands.
inline constexpr int kExitServiceError = 1;  ///< the server answered with an error
inline constexpr int kExitUsage = 2;         ///< bad arguments or config file
inline constexpr int kExitConnect = 3;       ///< the RPC server could not be reached

/// Adds the subcommands `jobs {push,list,stat,pause,resume,declare,destroy}`, `workers` and
/// `reset` to `app`, each with `-c FILE` (default .rr.yaml, only rpc.listen is read), `--rpc ADDR`
/// and `--json`.
///
/// Exit protocol: a command that succeeds returns normally from its callback (exit 0); one that
/// fails prints to stderr and throws `CLI::RuntimeError(code)` with a code above. CLI11's
/// `app.exit(e)` prints nothing for a RuntimeError and returns its code, so `CLI11_PARSE` in main
/// yields the right exit status. (CLI11's own parse errors keep CLI11's codes unless main maps
/// them to kExitUsage.)
void register_client_commands(CLI::App& app);

}  // namespace coyote::host::rpc
