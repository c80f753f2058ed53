// PoolConfig / ServerConfig: worker pool options (spec 2.10) and the worker command/env (2.1, 2.2).
#pragma once

#include "config/key_spec.hpp"
#include "config/schema.hpp"
#include "worker/process_spawn.hpp"

#include <coyote/sdk/config.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace coyote::host::worker {

using Millis = std::chrono::milliseconds;

/// `pool.supervisor` (spec 2.9); `enabled` is true only when the section exists.
struct SupervisorConfig {
  bool enabled = false;
  Millis watch_tick{5000};
  Millis ttl{0};
  Millis idle_ttl{0};
  Millis exec_ttl{0};
  std::uint64_t max_worker_memory_mb = 0;
};

struct PoolConfig {
  std::string name;  ///< "" for jobs.pool, else the key under jobs.pools
  std::size_t num_workers = 1;
  std::uint64_t max_jobs = 0;
  std::size_t max_queue_size = 0;  ///< read for completeness; the engine owns queueing
  Millis allocate_timeout{60000};
  Millis destroy_timeout{60000};
  Millis reset_timeout{60000};
  Millis stream_timeout{60000};
  /// Wait after the stop frame before SIGKILL (RoadRunner hard-codes 10 s; key `stop_timeout`).
  Millis stop_timeout{10000};
  bool debug = false;
  std::vector<std::string> command;                  ///< empty: use server.command
  std::uint32_t max_frame_size = 64u * 1024 * 1024;  ///< largest accepted reply payload
  SupervisorConfig supervisor;
};

/// Reads the pool section at `path` ("jobs.pool" or "jobs.pools.<name>"); absent keys take the
/// spec defaults (num_workers = logical CPUs). Throws sdk::ConfigError for bad values.
[[nodiscard]] PoolConfig pool_config_from(const sdk::Config& config, std::string_view path,
                                          std::string name = {});

/// `server.*` as far as worker processes are concerned.
struct ServerConfig {
  std::vector<std::string> command;                      ///< argv
  std::vector<std::pair<std::string, std::string>> env;  ///< server.env (raw keys/values)
  std::string relay = "pipes";
  std::string rpc_listen;             ///< empty: RR_RPC is not set
  std::string version = "2025.1.15";  ///< RR_VERSION
  /// server.user / server.group, resolved (empty: workers run as the host does).
  Credentials credentials;
};

/// Reads `server.command` (string split on whitespace, or list), `server.env`, `server.relay`,
/// `rpc.listen` from a validated config (check_pool_rules requires a command somewhere).
[[nodiscard]] ServerConfig server_config_from(const sdk::Config& config,
                                              std::string version = "2025.1.15");

/// The keys of `server` and of one pool (`jobs.pool`, `jobs.pools.<name>`) that this file reads:
/// type, default and doc (config/reference.md is generated from them).
[[nodiscard]] const config::Spec& server_keys();
[[nodiscard]] const config::Spec& pool_keys();

/// The rules between those keys: jobs.pool and jobs.pools exclude each other; serving needs
/// server.command unless every pool has its own.
void check_pool_rules(const config::ConfigDocument& doc, const config::ValidateOptions& options,
                      config::Findings& findings);

/// Splits a command string on whitespace (RoadRunner does no shell quoting either).
[[nodiscard]] std::vector<std::string> split_command(std::string_view command);

/// Expands $VAR and ${VAR} in a server.env value from `host_env` ("KEY=VALUE" strings); unknown
/// variables become "". (Not config::expand_env, which expands ${VAR} in the YAML at load.)
[[nodiscard]] std::string expand_worker_env(std::string_view value,
                                            const std::vector<std::string>& host_env);

/// The worker environment in spec 2.2 order (later duplicates win), as "KEY=VALUE" strings.
[[nodiscard]] std::vector<std::string> build_environment(const ServerConfig& server,
                                                         const std::vector<std::string>& host_env);

/// The host's own environment as "KEY=VALUE" strings.
[[nodiscard]] std::vector<std::string> host_environment();

}  // namespace coyote::host::worker
