// AppMetrics: RoadRunner's metrics plugin semantics (metrics.collect and metrics.* RPC).
#include "metrics/app_metrics.hpp"
#include "metrics/text_format.hpp"

#include <catch2/catch.hpp>

namespace m = coyote::host::metrics;
using Catch::Matchers::Contains;

namespace {

m::CollectorSpec spec(std::string name, std::string type, std::vector<std::string> labels = {}) {
  m::CollectorSpec c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.help = "help";
  c.labels = std::move(labels);
  return c;
}

std::string scrape(m::Registry& r) { return m::format_text(r.snapshot()); }

}  // namespace

TEST_CASE("app metrics expose collectors under namespace_subsystem_name", "[metrics]") {
  m::Registry r;
  m::AppMetrics app(r);
  auto c = spec("hits", "counter");
  c.ns = "app";
  c.subsystem = "http";
  REQUIRE(app.declare(c));
  REQUIRE(app.add({"hits", 2, {}}));
  REQUIRE(app.add({"hits", 0.5, {}}));
  CHECK_THAT(scrape(r), Contains("# TYPE app_http_hits counter\napp_http_hits 2.5\n"));
}

TEST_CASE("app metrics apply Add, Sub, Set and Observe to the types that support them",
          "[metrics]") {
  m::Registry r;
  m::AppMetrics app(r);
  REQUIRE(app.declare_config({spec("g", "gauge", {"type"}), spec("c", "counter"),
                              spec("h", "histogram"), spec("s", "summary")}));
  REQUIRE(app.set({"g", 10, {"a"}}));
  REQUIRE(app.sub({"g", 3, {"a"}}));
  REQUIRE(app.add({"g", 1, {"a"}}));
  REQUIRE(app.observe({"h", 0.2, {}}));
  REQUIRE(app.observe({"s", 4, {}}));
  const std::string text = scrape(r);
  CHECK_THAT(text, Contains("g{type=\"a\"} 8\n"));
  CHECK_THAT(text, Contains("h_bucket{le=\"0.25\"} 1\n"));
  CHECK_THAT(text, Contains("s_sum 4\ns_count 1\n"));

  CHECK_THAT(app.sub({"c", 1, {}}).message(),
             Contains("does not support the requested operation") && Contains("Sub"));
  CHECK_THAT(app.set({"h", 1, {}}).message(), Contains("does not support Set"));
  CHECK_THAT(app.observe({"g", 1, {"a"}}).message(), Contains("does not support Observe"));
  CHECK_THAT(app.add({"h", 1, {}}).message(), Contains("does not support Add"));
  CHECK_THAT(app.add({"c", -1, {}}).message(), Contains("counter cannot decrease in value: c"));
}

TEST_CASE("app metrics refuse an undefined collector and missing labels", "[metrics]") {
  m::Registry r;
  m::AppMetrics app(r);
  CHECK_THAT(app.add({"nope", 1, {}}).message(),
             Contains("undefined collector: nope") && Contains("metrics.Declare"));
  REQUIRE(app.declare(spec("v", "gauge", {"a", "b"})));
  CHECK_THAT(app.set({"v", 1, {}}).message(), Contains("required labels for collector: v"));
  CHECK_THAT(app.set({"v", 1, {"x"}}).message(), Contains("2 label(s)"));
  REQUIRE(app.declare(spec("plain", "gauge")));
  CHECK(app.set({"plain", 5, {"ignored"}}));  // Go ignores labels on a metric without them
}

TEST_CASE("app metrics Declare of a known name succeeds and keeps the first", "[metrics]") {
  m::Registry r;
  m::AppMetrics app(r);
  REQUIRE(app.declare(spec("x", "counter")));
  CHECK(app.declare(spec("x", "gauge")));
  CHECK_FALSE(app.set({"x", 1, {}}));  // still a counter
  CHECK(app.size() == 1);
}

TEST_CASE("app metrics Declare refuses an unknown type and a name taken by the host", "[metrics]") {
  m::Registry r;
  r.define({.name = "rr_jobs_jobs_ok", .type = m::MetricType::kCounter});
  m::AppMetrics app(r);
  CHECK_THAT(app.declare(spec("x", "meter")).message(),
             Contains("unknown collector type") && Contains("meter"));
  CHECK_THAT(app.declare(spec("rr_jobs_jobs_ok", "counter")).message(),
             Contains("already registered"));
  auto bad = spec("h", "histogram");
  bad.buckets = {2, 1};
  CHECK_THAT(app.declare(bad).message(), Contains("increasing order"));
  CHECK(app.size() == 0);
}

TEST_CASE("app metrics Unregister removes the collector, then knows it no more", "[metrics]") {
  m::Registry r;
  m::AppMetrics app(r);
  REQUIRE(app.declare(spec("tmp", "gauge")));
  REQUIRE(app.set({"tmp", 1, {}}));
  const auto removed = app.unregister("tmp");
  REQUIRE(removed);
  CHECK(*removed);
  CHECK_THAT(scrape(r), !Contains("tmp"));
  CHECK_THAT(app.unregister("tmp").error(), Contains("undefined collector: tmp"));
  CHECK_FALSE(app.set({"tmp", 1, {}}));
  REQUIRE(app.declare(spec("tmp", "counter")));  // the name is free again
}

TEST_CASE("app metrics metrics.collect is all or nothing", "[metrics]") {
  m::Registry r;
  m::AppMetrics app(r);
  auto bad = spec("bad", "gauge", {"not-a-label"});
  const auto s = app.declare_config({spec("good", "gauge"), bad});
  REQUIRE_FALSE(s);
  CHECK_THAT(s.message(), Contains("not-a-label"));
  CHECK(app.size() == 0);
  CHECK(r.find("good") == nullptr);
  CHECK_THAT(app.declare_config({spec("a", "gauge"), spec("a", "gauge")}).message(),
             Contains("declared twice"));
}

TEST_CASE("app metrics cap a million distinct label values and count the refusals", "[metrics]") {
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  constexpr int kValues = 100'000;  // the same path; a million costs a sanitizer build a minute
#else
  constexpr int kValues = 1'000'000;
#endif
  m::Registry r;
  m::AppMetrics app(r, {.max_series = 1000});
  REQUIRE(app.declare(spec("by_user", "gauge", {"user"})));
  std::size_t refused = 0;
  std::string last_error;
  for (int i = 0; i < kValues; ++i) {
    const auto s = app.set({"by_user", 1, {std::to_string(i)}});
    if (!s) {
      ++refused;
      last_error = s.message();
    }
  }
  CHECK(refused == kValues - 1000);
  CHECK_THAT(last_error, Contains("by_user") && Contains("limit"));
  CHECK(r.find("by_user")->size() == 1000);
  CHECK_THAT(scrape(r), Contains("coyote_metrics_series_refused_total{metric=\"by_user\"} " +
                                 std::to_string(kValues - 1000) + "\n"));
  CHECK(app.set({"by_user", 2, {"5"}}));  // existing label values keep working
}

TEST_CASE("app metrics refuse collectors beyond max_collectors and accept one after unregister",
          "[metrics]") {
  m::Registry r;
  m::AppMetrics app(r, {.max_series = 10, .max_collectors = 3});
  for (int i = 0; i < 3; ++i) REQUIRE(app.declare(spec("c" + std::to_string(i), "gauge")));
  const auto refused = app.declare(spec("c3", "gauge"));
  CHECK_FALSE(refused);
  CHECK_THAT(refused.message(), Contains("metrics.Unregister"));
  CHECK(app.declare(spec("c0", "gauge")));  // declaring an existing one again is still fine
  REQUIRE(app.unregister("c0"));
  CHECK(app.declare(spec("c3", "gauge")));
  CHECK(app.size() == 3);
}
