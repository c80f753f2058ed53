// The `coyote` command line: every command, parsed and run.
#pragma once

#include <string_view>

namespace coyote::host::cli {

/// Parses `argv` (argv[0] is the program name), runs the command and returns the process's exit
/// status: the command's own (serve, drivers), a client command's code (command_failure.hpp), or
/// kExitUsage for a command line that does not parse. main() is this, given the allocator.
/// `allocator` (allocator.hpp) is shown by --version when the caller knows it.
int run(int argc, const char* const* argv, std::string_view allocator = {});

}  // namespace coyote::host::cli
