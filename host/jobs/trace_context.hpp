// TraceContext: the W3C trace context (`traceparent`) a pushed job carries to its worker.
#pragma once

#include "support/fast_random.hpp"

#include <coyote/sdk/headers.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::jobs {

/// The header key Coyote writes, as RoadRunner's propagator writes it (an HTTP-style carrier
/// canonicalises `traceparent` to `Traceparent`), so a worker reads the same key from both.
inline constexpr std::string_view kTraceparentHeader = "Traceparent";

/// True when `headers` has a `traceparent` under any capitalisation.
[[nodiscard]] bool has_traceparent(const sdk::Headers& headers);

/// A fresh, valid W3C traceparent: version 00, a random non-zero trace id and span id, flags
/// 01 (sampled), e.g. "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".
[[nodiscard]] std::string new_traceparent(support::FastRandom& rng);

/// RoadRunner's listener injects a trace context into every job it pushes, so a worker's
/// tracing finds one on every job. Coyote records no spans, so it keeps a producer's
/// `traceparent` and `tracestate` exactly as sent and only gives a job without one a new root
/// context under kTraceparentHeader. Returns true when it added one.
///
/// The dispatcher calls it when it hands a job to a worker, not at push: a header on every
/// waiting job would cost ~200 bytes per queued job (a header map and its strings), more than
/// the whole rest of a memory-pipeline job. A requeue or retry copies the job's headers, so
/// every later delivery of that job carries the same context.
bool ensure_traceparent(sdk::Headers& headers, support::FastRandom& rng);

/// ensure_traceparent() without its three allocations (the map node, its vector and the
/// 55-byte string) once jobs are being acknowledged: an acknowledged job's Traceparent node is
/// taken out of its headers before the job is destroyed, and the next job without a context
/// gets that node with new digits written over the old ones. A job that is requeued, retried or
/// dead-lettered keeps its node (and so its context). Loop thread only.
class TraceparentNodes {
 public:
  TraceparentNodes() { spare_.reserve(kMaxSpare); }

  /// As ensure_traceparent(), from a spare node when there is one.
  bool ensure(sdk::Headers& headers, support::FastRandom& rng);
  /// `headers` belong to a job that is done with: keeps its Traceparent node for ensure().
  void reclaim(sdk::Headers& headers);
  [[nodiscard]] std::size_t spare() const noexcept { return spare_.size(); }

  /// Nodes in circulation are about the jobs in flight; beyond this many spares a node is left
  /// to its job's destructor (each is ~200 bytes).
  static constexpr std::size_t kMaxSpare = 256;

 private:
  std::vector<sdk::Headers::node_type> spare_;
};

}  // namespace coyote::host::jobs
