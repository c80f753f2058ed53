#include "metrics/metrics_endpoint.hpp"

#include "metrics/text_format.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>

namespace coyote::host::metrics {

struct MetricsEndpoint::Shared {
  boost::asio::thread_pool formatter{1};
  std::mutex mu;  // guards sources against add_source while a scrape is formatted
  std::vector<Source> sources;
  std::atomic<std::size_t> pending{0};
  std::atomic<std::size_t> last_bytes{0};
  std::size_t max_pending = 8;

  std::string format(Snapshot snapshot) {
    {
      std::lock_guard lock(mu);
      for (const auto& source : sources) {
        auto extra = source();
        for (auto& f : extra) snapshot.families.push_back(std::move(f));
      }
    }
    std::stable_sort(snapshot.families.begin(), snapshot.families.end(),
                     [](const FamilySnapshot& a, const FamilySnapshot& b) {
                       return a.desc->name < b.desc->name;
                     });
    std::string text = format_text(snapshot);
    last_bytes.store(text.size(), std::memory_order_relaxed);
    return text;
  }
};

MetricsEndpoint::MetricsEndpoint(Registry& registry, std::size_t max_pending)
    : registry_(registry), shared_(std::make_shared<Shared>()) {
  shared_->max_pending = max_pending == 0 ? 1 : max_pending;
  scrapes_ = &registry.define({.name = "coyote_metrics_scrapes_total",
                               .help = "Scrapes of the metrics endpoint answered",
                               .type = MetricType::kCounter});
  loop_seconds_ =
      &registry.define({.name = "coyote_metrics_scrape_loop_seconds",
                        .help = "Time the previous scrape took on the host's loop thread (the "
                                "snapshot; formatting runs on another thread)",
                        .type = MetricType::kGauge});
  bytes_ = &registry.define({.name = "coyote_metrics_scrape_bytes",
                             .help = "Size of the previous scrape's answer",
                             .type = MetricType::kGauge});
}

MetricsEndpoint::~MetricsEndpoint() {
  shared_->formatter.join();
  registry_.remove(scrapes_->name());
  registry_.remove(loop_seconds_->name());
  registry_.remove(bytes_->name());
}

void MetricsEndpoint::add_source(Source source) {
  std::lock_guard lock(shared_->mu);
  shared_->sources.push_back(std::move(source));
}

std::string MetricsEndpoint::render() {
  scrapes_->only().add(1);
  bytes_->only().set(static_cast<double>(shared_->last_bytes.load(std::memory_order_relaxed)));
  return shared_->format(registry_.snapshot());
}

http::Handler MetricsEndpoint::handler() {
  return [this](const http::Request&, const http::Responder& responder) {
    if (shared_->pending.load() >= shared_->max_pending) {
      responder.respond(http::Response::text(503, "too many scrapes at once; try again\n"));
      return;
    }
    const auto t0 = std::chrono::steady_clock::now();
    scrapes_->only().add(1);
    bytes_->only().set(static_cast<double>(shared_->last_bytes.load(std::memory_order_relaxed)));
    Snapshot snapshot = registry_.snapshot();
    loop_seconds_->only().set(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    shared_->pending.fetch_add(1);
    boost::asio::post(shared_->formatter,
                      [shared = shared_, snapshot = std::move(snapshot), responder]() mutable {
                        http::Response r;
                        r.content_type = kTextContentType;
                        r.body = shared->format(std::move(snapshot));
                        shared->pending.fetch_sub(1);
                        responder.respond(std::move(r));
                      });
  };
}

}  // namespace coyote::host::metrics
