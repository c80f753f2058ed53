// EntryCodec: a job as the fields of one Redis stream entry, and back.
#pragma once

#include <coyote/sdk/message.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace coyote::drivers::redis {

/// Field names of an entry (documented in config/reference.md, "redis: stream entry format"):
///   id        the job id (absent: the entry id stands in)
///   job       the job name
///   payload   the body, bytes as pushed
///   headers   JSON object {"name":["value",...]}, only when there are headers
///   priority  decimal job priority, only when set (absent or 0: the pipeline's)
///   attempt   decimal delivery number, only when > 1 (the X-Coyote-Attempt header lives here,
///             so the reclaim script can count a redelivery without parsing JSON)
///   auto_ack  "1" when the producer asked for auto_ack
/// Unknown fields are ignored, so an application may XADD entries of its own with just
/// `job` and `payload`.
namespace field {
inline constexpr std::string_view kId = "id";
inline constexpr std::string_view kJob = "job";
inline constexpr std::string_view kPayload = "payload";
inline constexpr std::string_view kHeaders = "headers";
inline constexpr std::string_view kPriority = "priority";
inline constexpr std::string_view kAttempt = "attempt";
inline constexpr std::string_view kAutoAck = "auto_ack";
}  // namespace field

/// Name/value pairs, flattened: [name0, value0, name1, value1, ...].
using Fields = std::vector<std::string>;

/// The entry's fields for `message`. X-Coyote-Attempt moves out of the headers into `attempt`.
Fields encode_entry(const sdk::Message& message);

/// What a stream entry decodes to. `warnings` name fields that were unreadable and skipped;
/// the job is still delivered (an entry is never dropped for a bad optional field).
struct DecodedEntry {
  sdk::Message message;
  std::int64_t attempt = 1;
  bool auto_ack = false;
  std::vector<std::string> warnings;
};

/// `fields` as Redis returns them (name, value pairs). `pipeline` and `pipeline_priority` fill
/// the options the entry does not carry.
DecodedEntry decode_entry(std::string_view entry_id,
                          std::span<const std::pair<std::string_view, std::string_view>> fields,
                          std::string_view pipeline, std::int64_t pipeline_priority);

}  // namespace coyote::drivers::redis
