// MetricDesc validation and the name rules.
#include "metrics/metric_desc.hpp"

#include <catch2/catch.hpp>

#include <limits>

namespace m = coyote::host::metrics;
using Catch::Matchers::Contains;

namespace {

std::string error_of(m::MetricDesc d) {
  const auto s = m::validate(d);
  return s ? std::string("ok") : s.message();
}

}  // namespace

TEST_CASE("metric names follow Prometheus' rules", "[metrics]") {
  CHECK(m::is_valid_metric_name("rr_jobs_jobs_ok"));
  CHECK(m::is_valid_metric_name("a:b_c1"));
  CHECK(m::is_valid_metric_name("_x"));
  CHECK_FALSE(m::is_valid_metric_name(""));
  CHECK_FALSE(m::is_valid_metric_name("1abc"));
  CHECK_FALSE(m::is_valid_metric_name("a-b"));
  CHECK(m::is_valid_label_name("pipeline"));
  CHECK_FALSE(m::is_valid_label_name("a:b"));
  CHECK_FALSE(m::is_valid_label_name("__reserved"));
  CHECK_FALSE(m::is_valid_label_name("9"));
}

TEST_CASE("full names join namespace, subsystem and name as Go's BuildFQName", "[metrics]") {
  CHECK(m::full_name("rr", "jobs", "ok") == "rr_jobs_ok");
  CHECK(m::full_name("", "jobs", "ok") == "jobs_ok");
  CHECK(m::full_name("app", "", "ok") == "app_ok");
  CHECK(m::full_name("app", "x", "").empty());
}

TEST_CASE("UTF-8 check refuses overlong, surrogate and truncated sequences", "[metrics]") {
  CHECK(m::is_valid_utf8("plain"));
  CHECK(m::is_valid_utf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x90\xba"));
  CHECK_FALSE(m::is_valid_utf8("\xc3"));
  CHECK_FALSE(m::is_valid_utf8("\xc0\xaf"));
  CHECK_FALSE(m::is_valid_utf8("\xed\xa0\x80"));
  CHECK_FALSE(m::is_valid_utf8("\xff"));
  CHECK_FALSE(m::is_valid_utf8("\xf4\x90\x80\x80"));
}

TEST_CASE("metric validation names what to fix", "[metrics]") {
  CHECK_THAT(error_of({.name = "bad-name"}), Contains("bad-name") && Contains("valid metric name"));
  CHECK_THAT(error_of({.name = "x", .labels = {"a", "a"}}), Contains("listed twice"));
  CHECK_THAT(error_of({.name = "x", .labels = {"a-b"}}), Contains("valid label name"));
  CHECK_THAT(error_of({.name = "h", .type = m::MetricType::kHistogram, .labels = {"le"}}),
             Contains("\"le\""));
  CHECK_THAT(error_of({.name = "s", .type = m::MetricType::kSummary, .labels = {"quantile"}}),
             Contains("quantile"));
  CHECK_THAT(error_of({.name = "h", .type = m::MetricType::kHistogram, .buckets = {1, 0.5}}),
             Contains("increasing"));
  CHECK_THAT(error_of({.name = "g", .type = m::MetricType::kGauge, .buckets = {1}}),
             Contains("only for histograms"));
  CHECK_THAT(error_of({.name = "s", .type = m::MetricType::kSummary, .objectives = {{1.5, 0.01}}}),
             Contains("between 0 and 1"));
  CHECK_THAT(error_of({.name = "x", .help = "\xff"}), Contains("UTF-8"));
}

TEST_CASE("histogram without buckets gets Go's default buckets and drops a given +Inf",
          "[metrics]") {
  m::MetricDesc d{.name = "h", .type = m::MetricType::kHistogram};
  REQUIRE(m::validate(d));
  CHECK(d.buckets == m::default_buckets());
  d.buckets = {1, 2, std::numeric_limits<double>::infinity()};
  REQUIRE(m::validate(d));
  CHECK(d.buckets == std::vector<double>{1, 2});
}

TEST_CASE("metric type names parse and print as RoadRunner's", "[metrics]") {
  for (const auto t : {m::MetricType::kCounter, m::MetricType::kGauge, m::MetricType::kHistogram,
                       m::MetricType::kSummary}) {
    CHECK(m::parse_metric_type(m::to_string(t)) == t);
  }
  CHECK_FALSE(m::parse_metric_type("Counter"));
  CHECK_FALSE(m::parse_metric_type("untyped"));
}
