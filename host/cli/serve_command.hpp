// `coyote serve`: load config and plugins, start workers, engine and RPC, run until a signal.
#pragma once

#include "cli/options.hpp"

namespace coyote::host::cli {

/// Returns the process exit code: 0 after a clean stop, 1 on a configuration or startup error
/// (printed to stderr with what to fix).
int run_serve(const Options& options);

}  // namespace coyote::host::cli
