// NatsOptions: one nats pipeline's settings (RoadRunner's keys and defaults, plus Coyote's own),
// read from .rr.yaml or from a jobs.Declare option map and checked before anything connects.
#pragma once

#include <coyote/sdk/config.hpp>
#include <coyote/sdk/pipeline.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::drivers::nats {

/// nats.addr when the global section (or the key) is absent: RoadRunner's nats.DefaultURL.
inline constexpr std::string_view kDefaultAddress = "nats://127.0.0.1:4222";
inline constexpr std::string_view kDefaultSubject = "default";
inline constexpr std::string_view kDefaultStream = "default-stream";
/// RoadRunner's prefetch defaults differ by path: 10 for .rr.yaml pipelines, 100 when declared.
inline constexpr std::int64_t kDefaultPrefetchFile = 10;
inline constexpr std::int64_t kDefaultPrefetchDeclared = 100;
inline constexpr std::int64_t kDefaultRateLimit = 1000;
inline constexpr std::chrono::milliseconds kDefaultAckWait{30'000};
inline constexpr std::chrono::milliseconds kMinAckWait{1'000};

struct NatsOptions {
  std::string pipeline;
  std::int64_t priority = 10;
  std::string address{kDefaultAddress};
  std::string subject{kDefaultSubject};
  std::string stream{kDefaultStream};
  /// The durable pull consumer every host of this pipeline shares (Coyote's `consumer` key).
  std::string consumer;
  std::int64_t prefetch = kDefaultPrefetchFile;
  bool deliver_new = false;
  /// Parsed for compatibility; RoadRunner never applies it and neither does Coyote (a PHP
  /// NatsCreateInfo sends 100, which would throttle every declared pipeline to 100 jobs/s).
  std::int64_t rate_limit = kDefaultRateLimit;
  bool delete_stream_on_stop = false;
  bool delete_after_ack = false;
  std::chrono::milliseconds ack_wait = kDefaultAckWait;
  /// jobs.timeout: how long a push may wait for its JetStream publish ack.
  std::chrono::milliseconds publish_timeout{60'000};
  /// Keys under `config:` this driver does not know (the constructor warns about them).
  std::vector<std::string> unknown_keys;
};

/// A pipeline from .rr.yaml. Throws sdk::ConfigError naming the key for a bad value.
[[nodiscard]] NatsOptions options_from_config(const sdk::Config& config,
                                              std::string_view config_key,
                                              const sdk::Pipeline& pipeline);

/// A pipeline declared at runtime: every option is a string (PHP's NatsCreateInfo). Throws
/// std::invalid_argument naming the option for a bad value.
[[nodiscard]] NatsOptions options_from_pipeline(const sdk::Config& config,
                                                const sdk::Pipeline& pipeline);

/// A JetStream stream or consumer name: not empty, no whitespace, '.', '*', '>', '/', '\\'.
/// Returns what is wrong, or an empty string.
[[nodiscard]] std::string check_name(std::string_view name);
/// A subject a push can publish to: tokens separated by '.', none empty, no wildcard, no
/// whitespace. Returns what is wrong, or an empty string.
[[nodiscard]] std::string check_publish_subject(std::string_view subject);
/// The default consumer name for a pipeline: "coyote-" + the pipeline name with every character
/// a consumer name may not hold replaced by '_'.
[[nodiscard]] std::string default_consumer_name(std::string_view pipeline);
/// Whether the subject filter `pattern` ("jobs.*", "jobs.>") matches the concrete `subject`.
[[nodiscard]] bool subject_matches(std::string_view pattern, std::string_view subject);

}  // namespace coyote::drivers::nats
