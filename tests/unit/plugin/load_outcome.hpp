// outcome_of: a PluginLoader result as one word, or "failed: <why>", so a check shows the reason.
#pragma once

#include "plugin/plugin_loader.hpp"

#include <string>

namespace coyote::test {

inline std::string outcome_of(const sdk::Result<host::plugin::LoadOutcome>& result) {
  if (!result) return "failed: " + result.error();
  switch (*result) {
    case host::plugin::LoadOutcome::kLoaded:
      return "loaded";
    case host::plugin::LoadOutcome::kSkipped:
      return "skipped";
    case host::plugin::LoadOutcome::kAlreadyLoaded:
      return "already loaded";
  }
  return "unknown";
}

}  // namespace coyote::test
