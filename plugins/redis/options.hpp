// The driver's settings: the global `redis:` section and each pipeline's keys.
#pragma once

#include "redis/endpoint.hpp"

#include <coyote/sdk/config.hpp>
#include <coyote/sdk/logger.hpp>
#include <coyote/sdk/pipeline.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace coyote::drivers::redis {

using std::chrono::milliseconds;

/// The `redis:` section, shared by every redis pipeline of the process (one connection set).
struct ClientOptions {
  Endpoint endpoint;                    ///< addr + username/password/db overrides
  int pool_size = 1;                    ///< command connections (pushes, acks, scripts, stats)
  milliseconds connect_timeout{5000};   ///< a connect + handshake slower than this is retried
  milliseconds command_timeout{10000};  ///< no reply within this: the connection is reset
  milliseconds reconnect_max{5000};     ///< back-off cap between reconnect attempts
  milliseconds delay_poll{1000};        ///< longest wait between delayed-set checks
  std::int64_t wait_replicas = 0;       ///< WAIT for this many replicas before a push is ok
  milliseconds wait_timeout{1000};      ///< how long WAIT may take

  /// Reads `redis.*`; a missing section means all defaults (redis://127.0.0.1:6379).
  /// Throws sdk::ConfigError naming the key for a bad value or an unknown key.
  static ClientOptions from_config(const sdk::Config& config);
};

/// One pipeline's keys (under `config:` in .rr.yaml, or flat strings in jobs.Declare).
struct StreamOptions {
  std::string pipeline;
  std::int64_t priority = 10;
  std::string stream;       ///< default: the pipeline name
  std::string delayed_key;  ///< always <stream>:delayed
  std::string group;        ///< default: coyote:<pipeline>
  std::string consumer;     ///< default: <hostname>:<pid>
  std::int64_t prefetch = 100;
  std::int64_t maxlen = 0;         ///< 0: never trim
  bool maxlen_exact = false;       ///< false: MAXLEN ~ (cheaper, trims in whole nodes)
  milliseconds claim_idle{30000};  ///< pending this long on a silent host: reclaimed
  bool delete_on_ack = true;       ///< XDEL after XACK (false: keep the entry)

  static constexpr std::int64_t kDefaultPrefetch = 100;

  /// From .rr.yaml: `config_key` is jobs.pipelines.<name>.config. Throws sdk::ConfigError.
  static StreamOptions from_config(const sdk::Config& config, std::string_view config_key,
                                   const sdk::Pipeline& pipeline);
  /// From jobs.Declare (string values, PHP style). Throws std::invalid_argument naming the key.
  /// Keys it does not know are logged (a newer client may send more) and ignored.
  static StreamOptions from_pipeline(const sdk::Pipeline& pipeline, sdk::Logger& log);
};

/// <hostname>:<pid>: unique per host process, readable in XINFO CONSUMERS.
std::string default_consumer_name();

}  // namespace coyote::drivers::redis
