#include "observe/observe_settings.hpp"

#include <catch2/catch.hpp>

using coyote::host::config::ConfigDocument;
using namespace coyote::host::observe;

namespace {
ConfigDocument doc(const std::string& yaml) {
  return ConfigDocument::parse("version: \"3\"\n" + yaml, ".rr.yaml");
}
}  // namespace

TEST_CASE("metrics and status are off without their sections, as RoadRunner's plugins",
          "[observe]") {
  const auto cfg = doc("");
  CHECK_FALSE(metrics_settings(cfg));
  CHECK_FALSE(status_settings(cfg));
}

TEST_CASE("metrics and status settings default to RoadRunner's values", "[observe]") {
  const auto cfg = doc("metrics:\n  collect: {}\nstatus:\n  check_timeout: 30\n");
  const auto m = metrics_settings(cfg);
  REQUIRE(m);
  CHECK(m->address == "127.0.0.1:2112");
  CHECK_FALSE(m->allow_remote);
  CHECK(m->max_series == 10000);
  CHECK(m->collect.empty());
  const auto s = status_settings(cfg);
  REQUIRE(s);
  CHECK(s->address == "127.0.0.1:2114");
  CHECK(s->unavailable_status_code == 503);
  CHECK(s->check_timeout == std::chrono::seconds(30));
  CHECK(s->ready_rule == coyote::host::status::ReadyRule::kWorkers);
}

TEST_CASE("a malformed metrics.collect is reported, not thrown", "[observe]") {
  const auto m = metrics_settings(
      doc("metrics:\n  address: 127.0.0.1:9\n  collect:\n    x:\n      type: meter\n"));
  REQUIRE(m);
  CHECK(m->address == "127.0.0.1:9");
  CHECK_THAT(m->collect_error, Catch::Contains("metrics.collect.x.type"));
  CHECK(m->collect.empty());
}

TEST_CASE("status settings out of range name the key", "[observe]") {
  CHECK_THROWS_WITH(status_settings(doc("status:\n  unavailable_status_code: 42\n")),
                    Catch::Contains("status.unavailable_status_code"));
  CHECK_THROWS_WITH(status_settings(doc("status:\n  ready_rule: always\n")),
                    Catch::Contains("workers, idle_worker or workers_and_drivers"));
  CHECK_THROWS_WITH(metrics_settings(doc("metrics:\n  max_series: 0\n")),
                    Catch::Contains("metrics.max_series"));
}
