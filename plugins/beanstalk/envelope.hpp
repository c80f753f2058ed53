// Envelope: how a Coyote job is laid out in a beanstalkd job body (docs/drivers/beanstalk.md).
//
//   {"coyote":1,"id":"<id>","job":"<name>","priority":<n>[,"headers":{...}][,"auto_ack":true]}\n
//   <payload bytes, verbatim>
//
// One line of JSON, then the payload untouched: any language reads the line with its JSON library
// and takes the rest as the payload, binary payloads cost nothing (no base64), and `peek` in a
// beanstalkd console shows who the job is. RoadRunner's Go gob encoding is readable by Go alone.
#pragma once

#include <coyote/sdk/message.hpp>

#include <string>
#include <string_view>

namespace coyote::drivers::beanstalk {

/// The job name of a body that is not a Coyote envelope (a foreign producer's job): RoadRunner's
/// name for the same case, so a worker that handles those under RoadRunner keeps working.
inline constexpr std::string_view kForeignJobName = "deduced_by_rr";

/// Appends the body for `message` (its id, name, priority, headers, auto_ack and payload) to out.
void encode_envelope(const sdk::Message& message, std::string& out);

/// Fills id, name, options.priority, options.auto_ack, headers and payload of `out` from a
/// Coyote envelope and returns true; returns false (leaving `out` unspecified) for any body that
/// is not one, which the caller then treats as a foreign job.
bool decode_envelope(std::string_view body, sdk::Message& out);

}  // namespace coyote::drivers::beanstalk
