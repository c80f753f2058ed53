// Headers: a job's header map, RoadRunner's map<string, []string>.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace coyote::sdk {

/// Ordered so that the context JSON sent to workers is deterministic.
using Headers = std::map<std::string, std::vector<std::string>, std::less<>>;

/// Requeue semantics (spec 3.5/3.7): returned headers are merged over the job's own, key by key.
inline void merge_headers(Headers& into, const Headers& from) {
  for (const auto& [key, values] : from) into.insert_or_assign(key, values);
}

}  // namespace coyote::sdk
