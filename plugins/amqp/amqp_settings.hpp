// AMQP settings: RoadRunner's global `amqp:` section and per-pipeline keys, with RR's defaults.
#pragma once

#include <coyote/sdk/config.hpp>
#include <coyote/sdk/pipeline.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace coyote::drivers::amqp {

inline constexpr std::string_view kDefaultAddr = "amqp://guest:guest@127.0.0.1:5672/";
inline constexpr std::string_view kDefaultExchange = "amqp.default";
inline constexpr std::int64_t kDefaultPrefetch = 10;
inline constexpr std::int64_t kDefaultPriority = 10;
inline constexpr std::int64_t kDefaultRedialTimeout = 60;

/// A value in an AMQP field table (queue arguments): the types a YAML map or a JSON object can
/// hold. Integers are sent as signed 64-bit ('l'), which RabbitMQ accepts for every x-argument.
struct FieldValue {
  enum class Kind { kBool, kInt, kDouble, kString, kArray };
  Kind kind = Kind::kString;
  bool boolean = false;
  std::int64_t integer = 0;
  double number = 0;
  std::string text;
  std::vector<FieldValue> items;

  static FieldValue of_bool(bool v);
  static FieldValue of_int(std::int64_t v);
  static FieldValue of_double(double v);
  static FieldValue of_string(std::string v);
  /// A YAML scalar as written: integer, float, true/false, else a string.
  static FieldValue from_scalar_text(const std::string& text);
  friend bool operator==(const FieldValue& a, const FieldValue& b);
};
using FieldTable = std::vector<std::pair<std::string, FieldValue>>;

struct TlsSettings {
  std::string key;
  std::string cert;
  std::string root_ca;
  std::string client_auth_type = "no_client_cert";
};

/// The global section (amqp.*), shared by every amqp pipeline.
struct GlobalSettings {
  std::string addr = std::string(kDefaultAddr);
  // addr, parsed
  std::string host;
  int port = 5672;
  std::string vhost = "/";
  std::string user;
  std::string password;
  bool tls_enabled = false;  ///< amqps:// or both tls.key and tls.cert set
  TlsSettings tls;
  // Coyote's own keys
  std::chrono::seconds heartbeat{10};
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds reconnect_initial{100};
  std::chrono::milliseconds reconnect_max{30'000};

  /// addr with the password replaced by "***", for logs and errors.
  [[nodiscard]] std::string redacted_addr() const;
};

/// One pipeline's keys (jobs.pipelines.<name>.config.*, or a jobs.Declare option map).
struct PipelineSettings {
  std::string name;
  std::int64_t priority = kDefaultPriority;
  std::int64_t prefetch = kDefaultPrefetch;
  std::string queue;  ///< empty: producer-only
  std::string exchange = std::string(kDefaultExchange);
  std::string exchange_type = "direct";  ///< normalised: "topics" becomes "topic"
  std::string routing_key;
  bool exclusive = false;
  bool durable = false;
  bool exchange_durable = false;
  bool exchange_auto_delete = false;
  bool queue_auto_delete = false;
  bool delete_queue_on_stop = false;
  bool multiple_ack = false;
  bool requeue_on_fail = false;
  std::int64_t redial_timeout = kDefaultRedialTimeout;  ///< accepted; Coyote never gives up
  std::string consumer_id;                              ///< default roadrunner-<uuid>
  FieldTable queue_headers;                             ///< queue.declare arguments
};

/// Reads amqp.* (every key optional). Throws sdk::ConfigError naming the key for bad values,
/// missing TLS files included. `warnings` receives notes for unknown keys.
GlobalSettings parse_global(const sdk::Config& config, std::vector<std::string>& warnings);

/// Parses an AMQP URI the way RoadRunner's client does (amqp091-go): amqp:// or amqps://,
/// user:password@host:port/vhost, percent-decoding, an empty or "/" path meaning vhost "/".
/// Throws std::invalid_argument with the reason.
void parse_addr(GlobalSettings& settings);

/// A pipeline from .rr.yaml: keys under `config_key`, YAML types. Throws sdk::ConfigError.
PipelineSettings parse_file_pipeline(const sdk::Config& config, std::string_view config_key,
                                     const sdk::Pipeline& pipeline,
                                     std::vector<std::string>& warnings);

/// A pipeline from jobs.Declare: PHP's string options (spec 2). Throws std::invalid_argument.
PipelineSettings parse_declared_pipeline(const sdk::Pipeline& pipeline);

/// queue_headers as PHP sends it: a JSON object; "[]" (PHP's empty array) and "" mean none.
/// Throws std::invalid_argument for anything else.
FieldTable parse_queue_headers_json(std::string_view json);

/// A fresh random UUID (version 4), as RoadRunner's uuid.NewString() makes them.
std::string new_uuid();

}  // namespace coyote::drivers::amqp
