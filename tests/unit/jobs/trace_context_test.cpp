#include "jobs/trace_context.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <regex>
#include <set>

using namespace coyote::host::jobs;

TEST_CASE("a new traceparent is a valid sampled W3C root context", "[jobs][trace]") {
  coyote::host::support::FastRandom rng(42);
  const std::regex form("^00-[0-9a-f]{32}-[0-9a-f]{16}-01$");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string tp = new_traceparent(rng);
    CHECK(std::regex_match(tp, form));
    CHECK(tp.substr(3, 32) != std::string(32, '0'));
    CHECK(tp.substr(36, 16) != std::string(16, '0'));
    seen.insert(tp);
  }
  CHECK(seen.size() == 100);
}

TEST_CASE("a traceparent under any capitalisation is kept as it is", "[jobs][trace]") {
  coyote::host::support::FastRandom rng(1);
  for (const char* key : {"traceparent", "Traceparent", "TRACEPARENT", "TraceParent"}) {
    coyote::sdk::Headers headers;
    headers[key] = {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"};
    CHECK(has_traceparent(headers));
    CHECK_FALSE(ensure_traceparent(headers, rng));
    CHECK(headers.size() == 1);
  }
}

TEST_CASE("headers without a traceparent get one under RoadRunner's key", "[jobs][trace]") {
  coyote::host::support::FastRandom rng(1);
  coyote::sdk::Headers headers;
  headers["tracestate"] = {"rojo=1"};
  CHECK(ensure_traceparent(headers, rng));
  REQUIRE(headers.contains(std::string(kTraceparentHeader)));
  CHECK(headers["tracestate"] == std::vector<std::string>{"rojo=1"});
  CHECK_FALSE(ensure_traceparent(headers, rng));  // idempotent: a retry keeps its context
}

TEST_CASE("a new traceparent spells the generator's numbers in hex, most significant first",
          "[jobs][trace]") {
  coyote::host::support::FastRandom rng(99);
  coyote::host::support::FastRandom same(99);
  const std::string tp = new_traceparent(rng);
  char expected[64];
  const auto trace_high = static_cast<unsigned long long>(same());
  const auto trace_low = static_cast<unsigned long long>(same());
  const auto span = static_cast<unsigned long long>(same());
  REQUIRE(trace_high != 0);  // seed 99's draws are non-zero, so nothing was drawn again
  REQUIRE(span != 0);
  std::snprintf(expected, sizeof expected, "00-%016llx%016llx-%016llx-01", trace_high, trace_low,
                span);
  CHECK(tp == expected);
}

TEST_CASE("a reclaimed Traceparent node carries the next job's new context, its string reused",
          "[jobs][trace]") {
  coyote::host::support::FastRandom rng(3);
  TraceparentNodes nodes;
  coyote::sdk::Headers done;
  CHECK(nodes.ensure(done, rng));  // no spare yet: a new node
  const std::string first = done.at("Traceparent").front();
  const char* storage = done.at("Traceparent").front().data();
  nodes.reclaim(done);
  CHECK(done.empty());
  REQUIRE(nodes.spare() == 1);

  coyote::sdk::Headers next;
  next["attempt"] = {"2"};
  CHECK(nodes.ensure(next, rng));
  CHECK(nodes.spare() == 0);
  const std::string& second = next.at("Traceparent").front();
  CHECK(std::regex_match(second, std::regex("^00-[0-9a-f]{32}-[0-9a-f]{16}-01$")));
  CHECK(second != first);
  CHECK(second.data() == storage);  // the same allocation, new digits
  CHECK(next.at("attempt") == std::vector<std::string>{"2"});
}

TEST_CASE("a spare node never replaces a producer's context, and odd nodes are not kept",
          "[jobs][trace]") {
  coyote::host::support::FastRandom rng(4);
  TraceparentNodes nodes;
  coyote::sdk::Headers done;
  (void)nodes.ensure(done, rng);
  nodes.reclaim(done);
  REQUIRE(nodes.spare() == 1);
  coyote::sdk::Headers producer;
  producer["traceparent"] = {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"};
  CHECK_FALSE(nodes.ensure(producer, rng));
  CHECK(producer.size() == 1);
  CHECK(nodes.spare() == 1);

  coyote::sdk::Headers two;
  two["Traceparent"] = {"a", "b"};
  nodes.reclaim(two);  // not one value: left with its job
  CHECK(two.size() == 1);
  coyote::sdk::Headers none;
  nodes.reclaim(none);
  CHECK(nodes.spare() == 1);
}

TEST_CASE("spare Traceparent nodes are bounded", "[jobs][trace]") {
  coyote::host::support::FastRandom rng(5);
  TraceparentNodes nodes;
  for (std::size_t i = 0; i < TraceparentNodes::kMaxSpare + 10; ++i) {
    coyote::sdk::Headers h;
    (void)ensure_traceparent(h, rng);
    nodes.reclaim(h);
  }
  CHECK(nodes.spare() == TraceparentNodes::kMaxSpare);
}
