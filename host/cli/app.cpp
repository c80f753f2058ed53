#include "cli/app.hpp"

#include "cli/command_failure.hpp"
#include "cli/dead_commands.hpp"
#include "cli/drivers_command.hpp"
#include "cli/jobs_commands.hpp"
#include "cli/options.hpp"
#include "cli/result_commands.hpp"
#include "cli/schedule_commands.hpp"
#include "cli/serve_command.hpp"
#include "cli/workers_command.hpp"
#include "support/version.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

namespace coyote::host::cli {

int run(int argc, const char* const* argv, std::string_view allocator) {
  CLI::App app{"Coyote: a job-queue host, drop-in for RoadRunner's jobs", "coyote"};
  std::string version = std::string("coyote ") + support::kVersion;
  if (!allocator.empty()) version.append(" (malloc: ").append(allocator).append(")");
  app.set_version_flag("-v,--version", version);
  app.require_subcommand(1);

  Options serve_options;
  auto* serve = app.add_subcommand("serve", "run the job host");
  add_config_options(*serve, serve_options);

  Options drivers_options;
  auto* drivers = app.add_subcommand("drivers", "list the driver plugins the host finds");
  add_config_options(*drivers, drivers_options);
  add_json_option(*drivers, drivers_options);

  CLI::App& jobs = add_jobs_commands(app);
  add_dead_commands(jobs);
  add_schedule_commands(jobs);
  add_result_commands(jobs);
  add_workers_commands(app);

  int code = 0;
  serve->callback([&] { code = run_serve(serve_options); });
  drivers->callback([&] { code = run_drivers(drivers_options); });

  // CLI11 would only say "A subcommand is required"; name the word it did not understand.
  if (argc > 1 && argv[1][0] != '-') {
    std::string known;
    bool found = false;
    for (const auto* sub : app.get_subcommands({})) {
      found = found || sub->get_name() == argv[1];
      known += (known.empty() ? "" : ", ") + sub->get_name();
    }
    if (!found) {
      std::fprintf(stderr, "coyote: unknown command \"%s\"; commands: %s (see coyote --help)\n",
                   argv[1], known.c_str());
      return kExitUsage;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::RuntimeError& e) {
    return app.exit(e);  // client commands report their own errors and pick the code
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  return code;
}

}  // namespace coyote::host::cli
