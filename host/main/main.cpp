// The `coyote` command line.
#include "main/drivers_command.hpp"
#include "main/embedded_config.hpp"
#include "main/serve_command.hpp"
#include "rpc/client_cli.hpp"
#include "rpc/dead_letter_cli.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

namespace {

void add_config_options(CLI::App& cmd, coyote::host::cli::ConfigOptions& options) {
  cmd.add_option("-c,--config", options.file,
                 "configuration file (default: ./.rr.yaml, else the embedded example)");
  cmd.add_option("-w,--workdir", options.working_dir, "working directory");
  cmd.add_option("-o,--override", options.overrides,
                 "override a config value, e.g. -o jobs.pool.num_workers=4 (repeatable)");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace coyote::host;
  CLI::App app{"Coyote: a job-queue host, drop-in for RoadRunner's jobs", "coyote"};
  app.set_version_flag("-v,--version", std::string("coyote ") + cli::kVersion);
  app.require_subcommand(1);

  cli::ConfigOptions serve_options;
  auto* serve = app.add_subcommand("serve", "run the job host");
  add_config_options(*serve, serve_options);

  cli::ConfigOptions drivers_options;
  bool drivers_json = false;
  auto* drivers = app.add_subcommand("drivers", "list the driver plugins the host finds");
  add_config_options(*drivers, drivers_options);
  drivers->add_flag("--json", drivers_json, "machine-readable output");

  rpc::register_client_commands(app);
  rpc::register_dead_letter_commands(app);

  int code = 0;
  serve->callback([&] { code = cli::run_serve(serve_options); });
  drivers->callback([&] { code = cli::run_drivers(drivers_options, drivers_json); });

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
      return rpc::kExitUsage;
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
    return rpc::kExitUsage;
  }
  return code;
}
