// Reply: a worker's answer to a job (spec 3.4), parsed from the frame body.
#pragma once

#include <coyote/sdk/headers.hpp>
#include <coyote/sdk/result.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace coyote::host::jobs {

/// The jobs reply body {"type": N, "data": {...}} (spec 3.4). `data` is read only for 1/3/4.
struct Reply {
  std::uint64_t type = 0;
  std::string message;
  bool requeue = false;
  std::chrono::seconds delay{0};
  sdk::Headers headers;
  std::string result;  ///< acks: the worker's result as JSON text (Coyote extension); "" = none
};

/// Parses a reply body; an error says why when the body is not the JSON RoadRunner accepts (not
/// JSON, no unsigned `type`, `data` of 1/3/4 not an object, fields of wrong types).
[[nodiscard]] sdk::Result<Reply> parse_reply(std::string_view body);

}  // namespace coyote::host::jobs
