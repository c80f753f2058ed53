// InitCommand: server.on_init, the command RoadRunner runs once before it starts the workers.
#pragma once

#include "worker/pool_config.hpp"
#include "worker/process_spawn.hpp"

#include <coyote/sdk/config.hpp>
#include <coyote/sdk/status.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace coyote::host::worker {

struct InitCommand {
  std::vector<std::string> command;
  std::chrono::milliseconds exec_timeout{60000};
  std::vector<std::pair<std::string, std::string>> env;  ///< on top of the workers' environment
  Credentials credentials;                               ///< on_init.user (else server.user)
  bool exit_on_error = false;
};

/// server.on_init, when the section is there (ConfigError on a bad value: no command, unknown
/// user).
[[nodiscard]] std::optional<InitCommand> init_command_from(const sdk::Config& config,
                                                           const ServerConfig& server);

/// Runs the command to its end, before the loop runs (it blocks): its stdout and stderr are
/// logged line by line; past exec_timeout its process group is killed. The error names the
/// command, its exit status and its stderr tail.
[[nodiscard]] sdk::Status run_init_command(const InitCommand& init, const ServerConfig& server,
                                           const std::vector<std::string>& host_env);

}  // namespace coyote::host::worker
