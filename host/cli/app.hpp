// The `coyote` command line: every command, parsed and run.
#pragma once

namespace coyote::host::cli {

/// Parses `argv` (argv[0] is the program name), runs the command and returns the process's exit
/// status: the command's own (serve, drivers), a client command's code (command_failure.hpp), or
/// kExitUsage for a command line that does not parse. main() is this and nothing else.
int run(int argc, const char* const* argv);

}  // namespace coyote::host::cli
