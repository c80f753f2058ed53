// Options: the one option set of every `coyote` command (-c/-w/-o, and --rpc/--json for clients).
#pragma once

#include "config/config_document.hpp"
#include "config/key_spec.hpp"

#include <coyote/sdk/config.hpp>

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace coyote::host::rpc {
struct RpcServerOptions;
}

namespace coyote::host::cli {

struct Options {
  std::string config;                  ///< -c; empty: .rr.yaml in the working dir, else embedded
  std::string working_dir;             ///< -w
  std::vector<std::string> overrides;  ///< -o key.path=value
  std::string rpc;                     ///< --rpc (client commands): overrides rpc.listen
  bool json = false;                   ///< --json: machine-readable output
};

/// -c, -w, -o: which configuration a command runs on (every command).
void add_config_options(CLI::App& command, Options& options);
/// -c, -w, -o, --rpc, --json: the client commands (jobs ..., workers, reset).
void add_client_options(CLI::App& command, Options& options);
/// --json alone (`coyote drivers`).
void add_json_option(CLI::App& command, Options& options);

/// Loads the configuration the options select, the same way for every command: -c FILE, else
/// ./.rr.yaml, else the embedded copy of .rr.yaml.example (so `coyote serve` runs on a fresh
/// checkout with no arguments); ${VAR} expanded and -o applied. Changes the process's working
/// directory to -w first (relative paths in the config, such as the worker script, resolve
/// against it, as with `rr -w`). Throws sdk::ConfigError.
config::ConfigDocument load_config(const Options& options);

/// The `rpc` section's keys (rpc_listen reads them; worker::server_config_from passes rpc.listen
/// on to workers as RR_RPC).
[[nodiscard]] const config::Spec& rpc_keys();

/// rpc.listen, or its default tcp://127.0.0.1:6001: where `serve` listens and clients connect.
[[nodiscard]] std::string rpc_listen(const sdk::Config& config);
/// rpc.max_connections and rpc.idle_timeout into `options` (ConfigError on a bad value).
void read_rpc_limits(const sdk::Config& config, rpc::RpcServerOptions& options);

}  // namespace coyote::host::cli
