// `coyote jobs schedules ...`: the periodic jobs from the command line.
#pragma once

#include <CLI/CLI.hpp>

namespace coyote::host::cli {

/// Adds `schedules` under the `jobs` command:
///   coyote jobs schedules list    [--json]       name, spec, next/last fire, last job id, state
///   coyote jobs schedules add     NAME --spec S --pipeline P --job J [--payload X]
///                                 [--header K=V]... [--timezone Z] [--priority N]
///                                 [--catch-up skip|once] [--overlap skip|allow] [--paused]
///   coyote jobs schedules remove|pause|resume|trigger NAME
/// each with the client options (options.hpp) and the usual exit codes (1 service error,
/// 2 usage, 3 cannot connect).
void add_schedule_commands(CLI::App& jobs);

}  // namespace coyote::host::cli
