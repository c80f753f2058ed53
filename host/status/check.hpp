// Check: one plugin's answer to a health or readiness question (RoadRunner's status.Status).
#pragma once

#include <string>

namespace coyote::host::status {

struct Check {
  int code = 200;  ///< HTTP-style: 200 fine, >= 500 not
  /// Why, when not fine ("pool default: 0 of 4 workers alive"); RoadRunner says only
  /// "internal server error, see logs".
  std::string message;
  /// The check itself failed (RoadRunner: Status() returned an error).
  bool failed = false;
};

}  // namespace coyote::host::status
