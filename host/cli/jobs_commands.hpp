// `coyote jobs push|list|stat|pause|resume|destroy|declare`: the jobs pipelines over RPC.
#pragma once

#include <CLI/CLI.hpp>

namespace coyote::host::cli {

/// Adds the `jobs` command and its subcommands to `app`, each with the client options
/// (-c/-w/-o/--rpc/--json, options.hpp), and returns it (`jobs dead` is added to it).
///
/// Exit protocol: a command that succeeds returns normally from its callback (exit 0); one that
/// fails calls fail() with a code of command_failure.hpp.
CLI::App& add_jobs_commands(CLI::App& app);

}  // namespace coyote::host::cli
