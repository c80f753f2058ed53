// BeanstalkConfig: the global `beanstalk:` section and one pipeline's options, with RoadRunner's
// defaults (spec roadrunner-drivers.md 1.2), validated with errors that name the key to fix.
#pragma once

#include <coyote/sdk/config.hpp>
#include <coyote/sdk/pipeline.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace coyote::drivers::beanstalk {

/// Where beanstalkd listens: tcp://host:port or unix:///path.
struct Address {
  bool unix_socket = false;
  std::string host;  ///< tcp: host name or address (IPv6 without brackets)
  std::string port;  ///< tcp: port number as text
  std::string path;  ///< unix: socket path
  std::string text;  ///< as configured, for messages
};

/// nullopt (with `error` set) when `dsn` is not tcp://host:port or unix://path.
std::optional<Address> parse_address(std::string_view dsn, std::string& error);

/// A duration as RoadRunner writes it: a bare number of seconds ("5") or Go's form ("5s",
/// "1m30s", "500ms"). nullopt when unreadable or negative.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

inline constexpr std::string_view kDefaultAddress = "tcp://127.0.0.1:11300";
inline constexpr std::chrono::seconds kDefaultTimeout{30};
/// RoadRunner's code defaults differ between .rr.yaml and jobs.Declare (spec 1.2); both are kept
/// so that a pipeline behaves as it did under RoadRunner whichever way it was made.
inline constexpr std::uint32_t kDefaultTubePriorityConfig = 0;
inline constexpr std::uint32_t kDefaultTubePriorityDeclared = 1;
inline constexpr std::chrono::seconds kDefaultReserveTimeoutConfig{1};
inline constexpr std::chrono::seconds kDefaultReserveTimeoutDeclared{5};
/// Coyote: jobs reserved ahead into the host queue (RoadRunner reserves one at a time).
inline constexpr std::int64_t kDefaultPrefetch = 16;
/// beanstalkd keeps the last second of a TTR as a safety margin during which a reserve on the
/// same connection answers DEADLINE_SOON; a 1 s TTR would make that permanent.
inline constexpr std::uint32_t kMinTtrSeconds = 2;

/// The global section, shared by every beanstalk pipeline.
struct GlobalOptions {
  Address address;
  /// Dial timeout, the TTR of every job put (rounded up to whole seconds, at least 2) and how
  /// long a command may wait for beanstalkd's answer before the connection is declared dead.
  std::chrono::milliseconds timeout{kDefaultTimeout};
  /// jobs.timeout: how long a push may wait for beanstalkd while it is unreachable.
  std::chrono::milliseconds push_timeout{std::chrono::seconds{60}};
  [[nodiscard]] std::uint32_t ttr_seconds() const;
};

/// One pipeline's options.
struct TubeOptions {
  std::string tube = "default";
  std::uint32_t tube_priority = kDefaultTubePriorityConfig;
  std::uint32_t reserve_timeout_s = 1;
  std::int64_t prefetch = kDefaultPrefetch;
};

/// Reads `beanstalk.addr`, `beanstalk.timeout` and `jobs.timeout`. Throws sdk::ConfigError.
GlobalOptions read_global(const sdk::Config& config);

/// A pipeline from .rr.yaml: options under `config_key` (YAML types), falling back to the flat
/// pipeline options. Throws sdk::ConfigError naming the key.
TubeOptions read_tube(const sdk::Config& config, std::string_view config_key,
                      const sdk::Pipeline& pipeline);

/// A pipeline from jobs.Declare (all values strings, as PHP's BeanstalkCreateInfo sends them).
/// Throws std::invalid_argument naming the option.
TubeOptions read_declared(const sdk::Pipeline& pipeline);

}  // namespace coyote::drivers::beanstalk
