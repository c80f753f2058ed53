// RoadRunner's nats message format: what RR's nats driver publishes and reads, so RoadRunner and
// Coyote hosts can share a stream. Pure functions over bytes (no cnats): the fuzz target and the
// unit tests call them directly.
//
// Body: the JSON of RR's Item, {"job","id","payload"(base64),"options":{"priority","pipeline",
// "delay"(omitted when 0),"auto_ack","Queue"}}; the job headers travel as NATS headers.
#pragma once

#include <coyote/sdk/headers.hpp>
#include <coyote/sdk/message.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace coyote::drivers::nats {

/// The job name RoadRunner gives a message whose body is not its JSON (a foreign producer).
inline constexpr std::string_view kForeignJobName = "deduced_by_rr";
/// RoadRunner adds the subject a message arrived on as this job header.
inline constexpr std::string_view kSubjectHeader = "x-nats-subject";

/// The body RoadRunner's Push publishes for `message` (priority and pipeline as given).
[[nodiscard]] std::string encode_body(const sdk::Message& message);

/// NATS header lines cannot carry every job header: keys must be non-empty tokens without ':'
/// or whitespace, values must not contain CR or LF, and a key needs a value. Returns the headers
/// that can travel, and appends the names of those that cannot to `dropped`.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> wire_headers(
    const sdk::Headers& headers, std::vector<std::string>* dropped);

struct DecodedMessage {
  sdk::Message message;
  /// The body was not RoadRunner's JSON: the whole body became the payload, the job is named
  /// kForeignJobName and has a fresh id.
  bool foreign = false;
  /// Why the body was taken as foreign (for a debug log line).
  std::string foreign_reason;
};

/// Reads one delivered message. `headers` are the NATS headers in arrival order (a key may
/// repeat). The pipeline name and priority fill what the body leaves unset; `new_id` supplies
/// the id of a foreign message. Never throws on any input bytes (fuzzed).
[[nodiscard]] DecodedMessage decode_message(
    std::string_view body, const std::vector<std::pair<std::string, std::string>>& headers,
    std::string_view pipeline, std::int64_t priority, std::string (*new_id)());

/// Standard base64 with padding (Go's base64.StdEncoding, which encoding/json uses for []byte).
[[nodiscard]] std::string base64_encode(std::string_view bytes);
/// Decodes standard base64; CR and LF are skipped as Go does. False on any other invalid input.
[[nodiscard]] bool base64_decode(std::string_view text, std::string& out);

/// A random UUID version 4 ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx").
[[nodiscard]] std::string random_uuid();

/// Broker redeliveries the host never answered: JetStream's delivery count minus the first
/// delivery, minus the one early delivery a delayed job gets before its due time. Added to
/// sdk::kAttemptHeader so the host's retry policy sees them.
[[nodiscard]] std::int64_t unanswered_deliveries(std::uint64_t num_delivered, bool delayed);
/// Raises the job's attempt header by `extra` (absent means 1).
void add_attempts(sdk::Headers& headers, std::int64_t extra);

}  // namespace coyote::drivers::nats
