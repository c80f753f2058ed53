// `coyote jobs dead list|replay|delete`: the dead-letter stores from the command line.
#pragma once

#include <CLI/CLI.hpp>

namespace coyote::host::rpc {

/// Adds `dead` under the existing `jobs` subcommand (register_client_commands must run first):
///   coyote jobs dead list   [--store NAME] [--json]
///   coyote jobs dead replay [--store NAME] (ID... | --all) [--json]
///   coyote jobs dead delete [--store NAME] (ID... | --all) [--json]
/// each with -c FILE / --rpc ADDR like the other client commands, and the same exit codes
/// (1 service error or some ids failed, 2 usage, 3 cannot connect).
void register_dead_letter_commands(CLI::App& app);

}  // namespace coyote::host::rpc
