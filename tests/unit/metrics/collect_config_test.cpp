// metrics.collect YAML parsing, with errors located at the offending key.
#include "metrics/collect_config.hpp"

#include <coyote/sdk/config.hpp>

#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

namespace m = coyote::host::metrics;
using Catch::Matchers::Contains;

namespace {

std::vector<m::CollectorSpec> parse(const std::string& yaml) {
  const YAML::Node root = YAML::Load(yaml);
  return m::parse_collect(root["metrics"]["collect"], ".rr.yaml");
}

std::string error_of(const std::string& yaml) {
  try {
    (void)parse(yaml);
  } catch (const coyote::sdk::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("metrics.collect reads RoadRunner's collector keys", "[metrics]") {
  const auto c = parse(R"(
metrics:
  address: 127.0.0.1:2112
  collect:
    app_metric:
      type: histogram
      help: "Custom application metric"
      labels: [ "type" ]
      buckets: [ 0.1, 0.2, 0.3, 1.0 ]
    app_summary:
      type: summary
      namespace: app
      subsystem: jobs
      objectives: { 0.5: 0.05, 0.99: 0.001 }
    listed:
      type: summary
      objectives:
        - 0.9: 0.01
        - 0.5: 0.05
)");
  REQUIRE(c.size() == 3);
  CHECK(c[0].name == "app_metric");
  CHECK(c[0].type == "histogram");
  CHECK(c[0].help == "Custom application metric");
  CHECK(c[0].labels == std::vector<std::string>{"type"});
  CHECK(c[0].buckets == std::vector<double>{0.1, 0.2, 0.3, 1.0});
  CHECK(c[1].ns == "app");
  CHECK(c[1].subsystem == "jobs");
  REQUIRE(c[1].objectives.size() == 2);
  CHECK(c[1].objectives[1].quantile == 0.99);
  CHECK(c[1].objectives[1].error == 0.001);
  REQUIRE(c[2].objectives.size() == 2);
  CHECK(c[2].objectives[0].quantile == 0.9);
}

TEST_CASE("metrics.collect without entries declares nothing", "[metrics]") {
  CHECK(parse("metrics:\n  address: 127.0.0.1:2112\n").empty());
  CHECK(parse("metrics:\n  collect:\n").empty());
}

TEST_CASE("metrics.collect errors name the key, the line and what to write", "[metrics]") {
  CHECK_THAT(error_of("metrics:\n  collect:\n    x:\n      type: meter\n"),
             Contains(".rr.yaml:4:13") && Contains("metrics.collect.x.type") &&
                 Contains("unknown metric type \"meter\"") && Contains("histogram"));
  CHECK_THAT(error_of("metrics:\n  collect:\n    x:\n      help: h\n"),
             Contains("metrics.collect.x.type") && Contains("missing"));
  CHECK_THAT(error_of("metrics:\n  collect:\n    x:\n      type: gauge\n      lables: [a]\n"),
             Contains("metrics.collect.x.lables") && Contains("unknown key"));
  CHECK_THAT(error_of("metrics:\n  collect:\n    x:\n      type: histogram\n      buckets: [a]\n"),
             Contains("metrics.collect.x.buckets.0") && Contains("expected a number"));
  CHECK_THAT(error_of("metrics:\n  collect:\n    x:\n      type: gauge\n      labels: a\n"),
             Contains("expected a list"));
  CHECK_THAT(error_of("metrics:\n  collect:\n    x: counter\n"),
             Contains("metrics.collect.x") && Contains("expected a map"));
  CHECK_THAT(error_of("metrics:\n  collect: [a, b]\n"), Contains("expected a map"));
  CHECK_THAT(error_of("metrics:\n  collect:\n    x:\n      type: summary\n      objectives: 0.5\n"),
             Contains("quantile to allowed error"));
}
