// `coyote drivers`: every driver the host can load, with its plugin file and SDK version.
#pragma once

#include "cli/options.hpp"

namespace coyote::host::cli {

/// Prints a table (or JSON with --json) and returns 0, or 1 when a plugin failed to load (the
/// drivers that did load are still listed; the errors go to stderr).
int run_drivers(const Options& options);

}  // namespace coyote::host::cli
