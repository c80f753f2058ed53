// MetricsEndpoint over a real HTTP server: any path answers, formatting happens off the loop,
// and scrapes racing with updates on the loop are safe (this file runs in the TSan stage).
#include "metrics/metrics_endpoint.hpp"
#include "metrics/process_metrics.hpp"
#include "metrics/text_format.hpp"
#include "promtool.hpp"
#include "unit/http/http_client.hpp"
#include "unit/http/live_http.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace http = coyote::host::http;
namespace m = coyote::host::metrics;
using Catch::Matchers::Contains;
using coyote::test::HttpClient;
using coyote::test::LiveHttp;

namespace {

// The registry and endpoint are built before the loop thread starts, then used only on it.
struct Fixture {
  explicit Fixture(std::size_t max_pending = 8)
      : endpoint(registry, max_pending),
        jobs_ok(registry
                    .define({.name = "rr_jobs_jobs_ok",
                             .help = "Number of successfully processed jobs",
                             .type = m::MetricType::kCounter})
                    .only()) {}
  http::Router router() {
    http::Router r;
    r.add("/", endpoint.handler());
    return r;
  }
  m::Registry registry;
  m::MetricsEndpoint endpoint;
  m::Counter jobs_ok;
};

}  // namespace

TEST_CASE("metrics endpoint answers any path with the text format", "[metrics]") {
  Fixture f;
  LiveHttp live(f.router());
  live.on_loop([&] { f.jobs_ok.inc(5); });
  HttpClient client(live.port());
  for (const char* path : {"/metrics", "/", "/anything/else?x=1"}) {
    const auto res = client.get(path);
    CHECK(res.result_int() == 200);
    CHECK(res[boost::beast::http::field::content_type] == m::kTextContentType);
    CHECK_THAT(res.body(), Contains("rr_jobs_jobs_ok 5\n"));
    CHECK_THAT(res.body(), Contains("coyote_metrics_scrapes_total"));
  }
  live.on_loop([&] { f.jobs_ok.inc(); });
  CHECK_THAT(client.get("/metrics").body(), Contains("rr_jobs_jobs_ok 6\n"));
}

TEST_CASE("metrics endpoint merges off-loop sources into name order", "[metrics]") {
  Fixture f;
  const m::ProcessMetrics process;
  f.endpoint.add_source([&process] { return process.collect(); });
  LiveHttp live(f.router());
  HttpClient client(live.port());
  const std::string body = client.get("/metrics").body();
  const auto at = [&](const char* name) { return body.find(std::string("# HELP ") + name); };
  REQUIRE(at("process_resident_memory_bytes") != std::string::npos);
  CHECK(at("coyote_metrics_scrapes_total") < at("process_cpu_seconds_total"));
  CHECK(at("process_cpu_seconds_total") < at("rr_jobs_jobs_ok"));
  const auto lint = coyote::test::promtool_check(body);
  INFO(lint.output);
  REQUIRE(lint.exit_code != -1);
  // RoadRunner's counter names lack _total; that lint is the only one allowed.
  CHECK((lint.exit_code == 0 || lint.exit_code == 3));
  CHECK_THAT(lint.output, !Contains("error") && !Contains("no help text"));
}

TEST_CASE("metrics endpoint answers 503 past max_pending scrapes being formatted", "[metrics]") {
  Fixture f(1);
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false;
  bool release = false;
  f.endpoint.add_source([&]() -> std::vector<m::FamilySnapshot> {
    std::unique_lock lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    return {};
  });
  LiveHttp live(f.router());
  HttpClient first(live.port());
  first.send("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
  {
    std::unique_lock lock(mu);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return entered; }));
  }
  HttpClient second(live.port());
  CHECK(second.get("/metrics").result_int() == 503);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  CHECK(first.read().result_int() == 200);
  CHECK(second.get("/metrics").result_int() == 200);
}

TEST_CASE("metrics scrapes from several clients race safely with updates on the loop",
          "[metrics]") {
  Fixture f;
  auto& per_pipeline = f.registry.define({.name = "coyote_pipeline_pushes_total",
                                          .help = "h",
                                          .type = m::MetricType::kCounter,
                                          .labels = {"pipeline"}});
  LiveHttp live(f.router());
  std::atomic<bool> stop{false};
  std::thread updater([&] {
    int i = 0;
    while (!stop) {
      live.on_loop([&] {
        f.jobs_ok.inc();
        (void)per_pipeline.with({"p" + std::to_string(i++ % 50)});
        if (i % 7 == 0) per_pipeline.clear();
      });
    }
  });
  std::vector<std::thread> scrapers;
  std::atomic<int> ok{0};
  for (int t = 0; t < 3; ++t) {
    scrapers.emplace_back([&] {
      HttpClient client(live.port());
      for (int i = 0; i < 20; ++i) {
        if (client.get("/metrics").result_int() == 200) ++ok;
      }
    });
  }
  for (auto& s : scrapers) s.join();
  stop = true;
  updater.join();
  CHECK(ok == 60);
  const double scrapes =
      live.on_loop([&] { return f.registry.find("coyote_metrics_scrapes_total")->only().value(); });
  CHECK(scrapes == 60);
}

TEST_CASE("metrics endpoint render gives the same text as a scrape", "[metrics]") {
  Fixture f;
  f.jobs_ok.inc(3);
  const std::string text = f.endpoint.render();
  CHECK_THAT(text, Contains("rr_jobs_jobs_ok 3\n"));
  CHECK_THAT(text, Contains("coyote_metrics_scrapes_total 1\n"));
}
