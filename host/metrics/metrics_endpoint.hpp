// MetricsEndpoint: the scrape handler — a snapshot on the loop, formatting on its own thread.
#pragma once

#include "http/router.hpp"
#include "metrics/registry.hpp"
#include "metrics/snapshot.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <vector>

namespace coyote::host::metrics {

/// Serving a scrape costs the loop one Registry::snapshot() (collectors plus a copy of the
/// numbers); the text is written on the endpoint's formatter thread, which also runs the
/// off-loop sources (process_* from /proc), and the answer goes back through the HTTP server's
/// Responder. Construct, use and destroy on the loop thread; the destructor waits for the
/// formatter thread.
class MetricsEndpoint {
 public:
  /// Off-loop families (must not touch loop state); called on the formatter thread.
  using Source = std::function<std::vector<FamilySnapshot>()>;

  explicit MetricsEndpoint(Registry& registry, std::size_t max_pending = 8);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;
  MetricsEndpoint(MetricsEndpoint&&) = delete;
  MetricsEndpoint& operator=(MetricsEndpoint&&) = delete;

  void add_source(Source source);

  /// The handler to route ("/": any path answers, as RoadRunner's). Every method is answered
  /// the same way, as Go's promhttp does; more than max_pending scrapes being formatted at once
  /// get 503.
  [[nodiscard]] http::Handler handler();

  /// Snapshot and format on the calling (loop) thread; for tests and the bench.
  [[nodiscard]] std::string render();

  struct Shared;

 private:
  Registry& registry_;
  std::shared_ptr<Shared> shared_;
  Family* scrapes_ = nullptr;
  Family* loop_seconds_ = nullptr;
  Family* bytes_ = nullptr;
};

}  // namespace coyote::host::metrics
