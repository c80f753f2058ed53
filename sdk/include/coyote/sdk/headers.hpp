// Headers: a job's header map, RoadRunner's map<string, []string>.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::sdk {

/// Ordered so that the context JSON sent to workers is deterministic.
using Headers = std::map<std::string, std::vector<std::string>, std::less<>>;

/// The delivery number of a job ("2" on its first redelivery; absent means 1). The host owns it:
/// it strips the header from producers' pushes and sets it when it asks a driver to redeliver a
/// failed job, and its retry policy reads it. A driver that redelivers a job on its own because
/// the host never answered for it (crash recovery of a durable store, a broker redelivering
/// after a lost connection) should count that delivery by incrementing this header, so a job
/// that kills its host every time still ends in a dead-letter store.
inline constexpr std::string_view kAttemptHeader = "X-Coyote-Attempt";

/// Requeue semantics (spec 3.5/3.7): returned headers are merged over the job's own, key by key.
inline void merge_headers(Headers& into, const Headers& from) {
  for (const auto& [key, values] : from) into.insert_or_assign(key, values);
}

}  // namespace coyote::sdk
