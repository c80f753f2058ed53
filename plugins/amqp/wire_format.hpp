// The message format RoadRunner's amqp driver writes and reads: rr_* AMQP headers and a raw body.
#pragma once

#include <coyote/sdk/message.hpp>

#include <amqp.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::drivers::amqp {

/// Header names from roadrunner-server/api (plugins/v4/jobs), and their AMQP field types as RR's
/// Go client (amqp091-go) writes them: rr_id, rr_job, rr_pipeline long strings ('S'), rr_headers
/// a byte array ('x') holding JSON of map<string,[]string>, rr_delay a Go int ('I', 32-bit),
/// rr_priority an int64 ('l'; RR's reader asserts int64 and panics on any other width),
/// rr_auto_ack a boolean ('t').
inline constexpr std::string_view kRrId = "rr_id";
inline constexpr std::string_view kRrJob = "rr_job";
inline constexpr std::string_view kRrPipeline = "rr_pipeline";
inline constexpr std::string_view kRrHeaders = "rr_headers";
inline constexpr std::string_view kRrDelay = "rr_delay";
inline constexpr std::string_view kRrPriority = "rr_priority";
inline constexpr std::string_view kRrAutoAck = "rr_auto_ack";
/// The per-job routing key override (PHP's AMQP\Header::ROUTING_KEY), removed before publishing.
inline constexpr std::string_view kRoutingKeyHeader = "x-routing-key";
/// The job name RoadRunner gives a message without rr_job.
inline constexpr std::string_view kDeducedJobName = "deduced_by_rr";
inline constexpr std::string_view kContentType = "application/octet-stream";

/// A delivery's properties, read the way RoadRunner's amqp driver reads them (item.go unpack,
/// conv.go convHeaders): every AMQP header becomes a job header (numbers as decimal text, nested
/// tables flattened, arrays appended), then rr_headers' JSON is merged over them. A missing (or
/// empty) rr_id gets a fresh UUID, a missing (or empty) rr_job the name "deduced_by_rr". Unlike
/// RoadRunner, rr_priority and rr_delay are read from any integer width, rr_headers also from a
/// long string (php-amqp cannot write byte arrays), and a priority of 0 becomes the pipeline's.
struct DecodedJob {
  sdk::Message message;     ///< everything but the payload and options.pipeline
  std::string rr_pipeline;  ///< the rr_pipeline header, empty when absent
  bool has_rr_id = false;
  bool has_rr_job = false;
  std::vector<std::string> warnings;  ///< what was unreadable and ignored
};

DecodedJob decode_properties(const amqp_basic_properties_t& properties,
                             std::int64_t pipeline_priority);

/// `text` with every byte that is not part of valid UTF-8 replaced by U+FFFD, as Go's JSON
/// encoder writes it: header keys and values, ids and names from the broker end up in JSON (the
/// worker's context, rr_headers), which must stay valid for PHP's json_decode.
std::string valid_utf8(std::string_view text);

/// convHeaders for one field table, appended into `out`.
void convert_headers(const amqp_table_t& table, sdk::Headers& out,
                     std::vector<std::string>& warnings);

/// Removes the x-routing-key header; returns its value when it holds exactly one non-empty
/// value (RoadRunner's setRoutingKey), else `fallback`.
std::string take_routing_key(sdk::Headers& headers, const std::string& fallback);

/// A job encoded for basic.publish. Points into `message` (which must outlive it) and into
/// itself, so it is neither copied nor moved: build it, publish, drop it.
class OutgoingMessage {
 public:
  /// `rr_pipeline`: the pipeline name RoadRunner readers will see. Headers named like rr_* are
  /// not copied into rr_headers (RoadRunner re-reads them from the AMQP headers; copying them
  /// would nest one more escaped level into rr_headers on every requeue).
  OutgoingMessage(const sdk::Message& message, std::string rr_pipeline,
                  std::int64_t timestamp_seconds);
  OutgoingMessage(const OutgoingMessage&) = delete;
  OutgoingMessage& operator=(const OutgoingMessage&) = delete;
  OutgoingMessage(OutgoingMessage&&) = delete;
  OutgoingMessage& operator=(OutgoingMessage&&) = delete;
  ~OutgoingMessage() = default;

  [[nodiscard]] const amqp_basic_properties_t* properties() const noexcept { return &props_; }
  [[nodiscard]] amqp_bytes_t body() const noexcept { return body_; }
  [[nodiscard]] const std::string& headers_json() const noexcept { return headers_json_; }

 private:
  std::string headers_json_;
  std::string rr_pipeline_;
  amqp_table_entry_t entries_[7]{};
  amqp_basic_properties_t props_{};
  amqp_bytes_t body_{};
};

/// JSON of map<string,[]string> for rr_headers: {} when empty; rr_* keys left out.
std::string headers_to_json(const sdk::Headers& headers);

/// A FieldValue-free view of an AMQP field as text, for logs and tests ("l:10", "S:abc").
std::string describe_field(const amqp_field_value_t& value);

inline amqp_bytes_t bytes_of(std::string_view s) {
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};  // NOLINT: rabbitmq-c never writes
}
inline std::string_view view_of(amqp_bytes_t b) {
  return b.len == 0 ? std::string_view{}
                    : std::string_view(static_cast<const char*>(b.bytes), b.len);
}

}  // namespace coyote::drivers::amqp
