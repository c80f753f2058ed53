// The text exposition writer: exact lines, escaping, and Debian's promtool accepting the output.
#include "metrics/text_format.hpp"
#include "metrics/registry.hpp"
#include "promtool.hpp"

#include <catch2/catch.hpp>

#include <limits>

namespace m = coyote::host::metrics;
using Catch::Matchers::Contains;

TEST_CASE("text format writes HELP, TYPE and samples as RoadRunner's example", "[metrics]") {
  m::Registry r;
  r.define({.name = "rr_jobs_jobs_ok",
            .help = "Number of successfully processed jobs",
            .type = m::MetricType::kCounter})
      .only()
      .add(42);
  r.define({.name = "rr_jobs_worker_state",
            .help = "Worker current state",
            .type = m::MetricType::kGauge,
            .labels = {"state", "pid"}})
      .at({"ready", "4711"})
      .set(0);
  const std::string text = m::format_text(r.snapshot());
  CHECK(text ==
        "# HELP rr_jobs_jobs_ok Number of successfully processed jobs\n"
        "# TYPE rr_jobs_jobs_ok counter\n"
        "rr_jobs_jobs_ok 42\n"
        "# HELP rr_jobs_worker_state Worker current state\n"
        "# TYPE rr_jobs_worker_state gauge\n"
        "rr_jobs_worker_state{state=\"ready\",pid=\"4711\"} 0\n");
}

TEST_CASE("text format writes histograms as cumulative buckets, sum and count", "[metrics]") {
  m::Registry r;
  auto& h = r.define({.name = "rr_jobs_push_latency",
                      .help = "Histogram represents latency for pushed operation",
                      .type = m::MetricType::kHistogram,
                      .labels = {"job", "driver", "source"},
                      .buckets = {0.005, 0.5}});
  h.at({"emails", "amqp", "single"}).observe(0.001);
  h.at({"emails", "amqp", "single"}).observe(2);
  const std::string text = m::format_text(r.snapshot());
  CHECK_THAT(text, Contains("# TYPE rr_jobs_push_latency histogram\n"
                            "rr_jobs_push_latency_bucket{job=\"emails\",driver=\"amqp\","
                            "source=\"single\",le=\"0.005\"} 1\n"
                            "rr_jobs_push_latency_bucket{job=\"emails\",driver=\"amqp\","
                            "source=\"single\",le=\"0.5\"} 1\n"
                            "rr_jobs_push_latency_bucket{job=\"emails\",driver=\"amqp\","
                            "source=\"single\",le=\"+Inf\"} 2\n"
                            "rr_jobs_push_latency_sum{job=\"emails\",driver=\"amqp\","
                            "source=\"single\"} 2.001\n"
                            "rr_jobs_push_latency_count{job=\"emails\",driver=\"amqp\","
                            "source=\"single\"} 2\n"));
}

TEST_CASE("text format writes summaries with quantile labels, NaN when empty", "[metrics]") {
  m::Registry r;
  r.define({.name = "app_seconds",
            .help = "h",
            .type = m::MetricType::kSummary,
            .labels = {"route"},
            .objectives = {{0.5, 0.05}}})
      .at({"/x"});
  const std::string text = m::format_text(r.snapshot());
  CHECK_THAT(text, Contains("app_seconds{route=\"/x\",quantile=\"0.5\"} NaN\n"
                            "app_seconds_sum{route=\"/x\"} 0\n"
                            "app_seconds_count{route=\"/x\"} 0\n"));
}

TEST_CASE("text format escapes help and label values per the 0.0.4 format", "[metrics]") {
  std::string help;
  m::append_escaped_help(help, "line one\nback\\slash \"quotes\" stay");
  CHECK(help == "line one\\nback\\\\slash \"quotes\" stay");
  std::string value;
  m::append_escaped_label_value(value, "a\"b\\c\nd");
  CHECK(value == "a\\\"b\\\\c\\nd");
}

TEST_CASE("text format writes numbers in shortest form and special values", "[metrics]") {
  const auto num = [](double v) {
    std::string s;
    m::append_number(s, v);
    return s;
  };
  CHECK(num(0) == "0");
  CHECK(num(42) == "42");
  CHECK(num(0.005) == "0.005");
  CHECK(num(1e21) == "1e+21");
  CHECK(num(-2.5) == "-2.5");
  CHECK(num(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(num(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(num(std::numeric_limits<double>::quiet_NaN()) == "NaN");
}

TEST_CASE("promtool accepts every metric type with awkward help and label values", "[metrics]") {
  m::Registry r;
  r.define({.name = "coyote_pushes_total",
            .help = "Pushes \\ with \"odd\" help\nover two lines",
            .type = m::MetricType::kCounter,
            .labels = {"pipeline"}})
      .at({"we\"ird\\pipe\nline \xe2\x9c\x93"})
      .add(3);
  r.define({.name = "coyote_queue_depth", .help = "Jobs queued", .type = m::MetricType::kGauge})
      .only()
      .set(-1.5);
  auto& h = r.define({.name = "coyote_exec_seconds",
                      .help = "Exec time",
                      .type = m::MetricType::kHistogram,
                      .labels = {"pool"}});
  for (int i = 0; i < 50; ++i) h.at({"default"}).observe(i * 0.01);
  auto& s = r.define({.name = "coyote_wait_seconds",
                      .help = "Wait time",
                      .type = m::MetricType::kSummary,
                      .objectives = {{0.5, 0.05}, {0.99, 0.001}}});
  for (int i = 0; i < 1000; ++i) s.only().observe(i);
  r.define({.name = "coyote_empty_seconds",
            .help = "Never observed",
            .type = m::MetricType::kSummary,
            .objectives = {{0.9, 0.01}}})
      .only();
  const std::string text = m::format_text(r.snapshot());
  const auto result = coyote::test::promtool_check(text);
  INFO(text);
  INFO(result.output);
  REQUIRE(result.exit_code != -1);  // promtool comes with Debian's prometheus package
  CHECK(result.exit_code == 0);
  CHECK(result.output.empty());
}

TEST_CASE("promtool rejects what the writer must never produce", "[metrics]") {
  // The check above can fail: an unescaped quote in a label value is a parse error.
  const auto result = coyote::test::promtool_check(
      "# HELP x_total h\n# TYPE x_total counter\nx_total{a=\"b\"c\"} 1\n");
  REQUIRE(result.exit_code != -1);
  CHECK(result.exit_code == 1);
}
