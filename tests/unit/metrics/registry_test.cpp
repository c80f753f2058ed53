// Registry, families and series: values, label sets, the series cap, collectors and snapshots.
#include "metrics/registry.hpp"

#include <catch2/catch.hpp>

namespace m = coyote::host::metrics;
using Catch::Matchers::Contains;

namespace {

const m::FamilySnapshot* family_in(const m::Snapshot& s, const std::string& name) {
  for (const auto& f : s.families) {
    if (f.desc->name == name) return &f;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("counter and gauge series keep their values per label set", "[metrics]") {
  m::Registry r;
  auto& pushes = r.define({.name = "pushes_total",
                           .help = "h",
                           .type = m::MetricType::kCounter,
                           .labels = {"pipeline"}});
  m::Counter a(pushes.at({"a"}));
  m::Counter b(pushes.at({"b"}));
  a.inc();
  a.inc(2);
  b.inc();
  CHECK(a.value() == 3);
  CHECK(m::Counter(pushes.at({"a"})).value() == 3);  // the same series again
  auto& depth = r.define({.name = "depth", .help = "h", .type = m::MetricType::kGauge});
  m::Gauge g(depth.only());
  g.set(10);
  g.sub(4);
  g.add(1);
  CHECK(g.value() == 7);
}

TEST_CASE("histogram counts each observation in the first bucket whose bound holds it",
          "[metrics]") {
  m::Registry r;
  auto& h = r.define(
      {.name = "lat", .help = "h", .type = m::MetricType::kHistogram, .buckets = {1, 2, 5}});
  m::Observer o(h.only());
  for (const double v : {0.5, 1.0, 1.5, 5.0, 7.0}) o.observe(v);
  const auto snap = r.snapshot();
  const auto* f = family_in(snap, "lat");
  REQUIRE(f != nullptr);
  REQUIRE(f->stride == 5);
  // cumulative: le=1 → 2, le=2 → 3, le=5 → 4, +Inf → 5, sum 15
  CHECK(f->values == std::vector<double>{2, 3, 4, 5, 15});
}

TEST_CASE("registry refuses a duplicate name and keeps the first", "[metrics]") {
  m::Registry r;
  REQUIRE(r.add({.name = "x_total", .type = m::MetricType::kCounter}));
  const auto again = r.add({.name = "x_total", .type = m::MetricType::kGauge});
  REQUIRE_FALSE(again);
  CHECK_THAT(again.error(), Contains("already registered"));
  CHECK(r.find("x_total")->type() == m::MetricType::kCounter);
}

TEST_CASE("a family refuses label sets past its cap and counts each refusal", "[metrics]") {
  m::Registry r;
  auto& f = r.define(
      {.name = "app_hits", .type = m::MetricType::kGauge, .labels = {"user"}, .max_series = 3});
  for (int i = 0; i < 3; ++i) REQUIRE(f.with({std::to_string(i)}));
  for (int i = 3; i < 1000; ++i) {
    const auto refused = f.with({std::to_string(i)});
    REQUIRE_FALSE(refused);
    if (i == 3) CHECK_THAT(refused.error(), Contains("app_hits") && Contains("limit"));
  }
  CHECK(f.with({"1"}));  // an existing series is still served
  CHECK(f.size() == 3);
  auto* refused = r.find(m::Registry::kRefusedName);
  REQUIRE(refused != nullptr);
  CHECK(refused->at({"app_hits"}).value() == 997);
}

TEST_CASE("a label set of the wrong size or with invalid UTF-8 is refused", "[metrics]") {
  m::Registry r;
  auto& f = r.define({.name = "g", .type = m::MetricType::kGauge, .labels = {"a", "b"}});
  const auto wrong = f.with({"only one"});
  REQUIRE_FALSE(wrong);
  CHECK_THAT(wrong.error(), Contains("2 label(s) (a, b), got 1"));
  CHECK_FALSE(f.with({"x", "\xc3("}));
  CHECK(f.size() == 0);
}

TEST_CASE("collectors run before each snapshot and removed series disappear", "[metrics]") {
  m::Registry r;
  auto& workers =
      r.define({.name = "worker_state", .type = m::MetricType::kGauge, .labels = {"pid", "state"}});
  int calls = 0;
  const auto id = r.add_collector([&] {
    ++calls;
    workers.clear();
    workers.at({std::to_string(100 + calls), "ready"}).set(0);
  });
  auto s1 = r.snapshot();
  auto s2 = r.snapshot();
  CHECK(calls == 2);
  const auto* f = family_in(s2, "worker_state");
  REQUIRE(f != nullptr);
  REQUIRE(f->labels->size() == 1);
  CHECK(f->labels->front() == "pid=\"102\",state=\"ready\"");
  // The first snapshot is unaffected by later changes (it owns its copy).
  CHECK(family_in(s1, "worker_state")->labels->front() == "pid=\"101\",state=\"ready\"");
  r.remove_collector(id);
  workers.clear();
  CHECK(family_in(r.snapshot(), "worker_state") == nullptr);  // no series: not exposed
  CHECK(calls == 2);
}

TEST_CASE("snapshot lists families by name and skips empty labeled ones", "[metrics]") {
  m::Registry r;
  r.define({.name = "zz", .type = m::MetricType::kGauge}).only().set(1);
  r.define({.name = "aa", .type = m::MetricType::kGauge}).only().set(2);
  r.define({.name = "mm", .type = m::MetricType::kGauge, .labels = {"x"}});
  const auto s = r.snapshot();
  std::vector<std::string> names;
  for (const auto& f : s.families) names.push_back(f.desc->name);
  CHECK(names == std::vector<std::string>{"aa", "zz"});
  CHECK(r.remove("zz"));
  CHECK_FALSE(r.remove("zz"));
  CHECK_FALSE(r.remove(m::Registry::kRefusedName));  // the registry's own
}

TEST_CASE("summary series report quantiles, sum and count", "[metrics]") {
  m::Registry r;
  auto& f = r.define(
      {.name = "s", .type = m::MetricType::kSummary, .objectives = {{0.5, 0.01}, {0.9, 0.01}}});
  m::Observer o(f.only());
  for (int i = 1; i <= 100; ++i) o.observe(i);
  const auto snap = r.snapshot();
  const auto* s = family_in(snap, "s");
  REQUIRE(s != nullptr);
  REQUIRE(s->stride == 4);
  CHECK(s->values[0] == Approx(50).margin(1));
  CHECK(s->values[1] == Approx(90).margin(1));
  CHECK(s->values[2] == 5050);
  CHECK(s->values[3] == 100);
}
