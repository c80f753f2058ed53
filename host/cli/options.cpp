#include "cli/options.hpp"

#include "cli/embedded_config.hpp"
#include "rpc/listen_address.hpp"
#include "rpc/rpc_server.hpp"

#include <filesystem>
#include <system_error>

namespace coyote::host::cli {
namespace {

// ---- the keys this file reads: the `rpc` section ---------------------------------------------

constexpr config::Field kRpcFields[] = {
    {"listen", &config::spec::kString, "`tcp://127.0.0.1:6001`",
     "address of the goridge RPC server (`jobs.*` methods). Also passed to workers as `RR_RPC`, "
     "only when set."},
    {"max_connections", &config::spec::kInteger, "`1024`",
     "**Coyote**: RPC connections held at once; more are closed as they arrive (a warning every "
     "10 s counts them). Lowered at start to stay 128 descriptors below `ulimit -n`."},
    {"idle_timeout", &config::spec::kDuration, "`0` (never)",
     "**Coyote**: close an RPC connection idle this long (no call in flight, nothing unsent). Off "
     "by default: RoadRunner's clients keep one connection open and do not reconnect."},
};
constexpr config::Spec kRpc{config::Kind::kSection, kRpcFields};

}  // namespace

const config::Spec& rpc_keys() { return kRpc; }

void add_config_options(CLI::App& command, Options& options) {
  command.add_option("-c,--config", options.config,
                     "configuration file (default: ./.rr.yaml, else the embedded example)");
  command.add_option("-w,--workdir", options.working_dir, "working directory");
  command.add_option("-o,--override", options.overrides,
                     "override a config value, e.g. -o jobs.pool.num_workers=4 (repeatable)");
}

void add_client_options(CLI::App& command, Options& options) {
  add_config_options(command, options);
  command.add_option("--rpc", options.rpc,
                     "RPC address, e.g. tcp://127.0.0.1:6001 or unix:///run/rr.sock "
                     "(overrides rpc.listen)");
  add_json_option(command, options);
}

void add_json_option(CLI::App& command, Options& options) {
  command.add_flag("--json", options.json, "machine-readable JSON output");
}

config::ConfigDocument load_config(const Options& options) {
  if (!options.working_dir.empty()) {
    std::error_code ec;
    std::filesystem::current_path(options.working_dir, ec);
    if (ec) {
      throw sdk::ConfigError(
          "", 0, 0, "",
          "cannot use working directory \"" + options.working_dir + "\" (-w): " + ec.message());
    }
  }
  const auto cwd = std::filesystem::current_path();
  if (!options.config.empty()) {
    return config::ConfigDocument::load(options.config, options.overrides, cwd);
  }
  if (std::filesystem::exists(cwd / ".rr.yaml")) {
    return config::ConfigDocument::load(cwd / ".rr.yaml", options.overrides, cwd);
  }
  return config::ConfigDocument::parse(kEmbeddedConfig, kEmbeddedConfigName, options.overrides,
                                       cwd);
}

void read_rpc_limits(const sdk::Config& config, rpc::RpcServerOptions& options) {
  const auto connections =
      config.integer_or("rpc.max_connections", static_cast<std::int64_t>(options.max_connections));
  if (connections < 1) throw config.error_at("rpc.max_connections", "must be at least 1");
  options.max_connections = static_cast<std::size_t>(connections);
  options.idle_timeout = config.duration_or("rpc.idle_timeout", options.idle_timeout);
  if (options.idle_timeout.count() < 0) {
    throw config.error_at("rpc.idle_timeout", "must not be negative (0 = never)");
  }
}

std::string rpc_listen(const sdk::Config& config) {
  return config.string_or("rpc.listen", std::string(rpc::kDefaultListen));
}

}  // namespace coyote::host::cli
