#include "jobs/duration_histogram.hpp"
#include "jobs/job_class_stats.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace coyote::host::jobs;
using namespace std::chrono_literals;

TEST_CASE("a shared bucket search counts exactly what observe counts", "[jobs][histogram]") {
  DurationHistogram direct;
  DurationHistogram shared;
  JobClassStats::Entry cls;
  const std::chrono::nanoseconds durations[] = {0ns, 3us, 1ms, 5ms, 250ms, 1s, 3s, 10min};
  for (const auto d : durations) {
    direct.observe(d);
    const double seconds = std::chrono::duration<double>(d).count();
    const std::size_t bucket = shared.bucket_of(seconds);
    shared.observe_at(bucket, seconds);
    cls.record(seconds, bucket, true);
  }
  CHECK(shared.count() == direct.count());
  CHECK(shared.sum() == direct.sum());
  REQUIRE(shared.buckets().size() == direct.buckets().size());
  for (std::size_t i = 0; i < direct.buckets().size(); ++i) {
    INFO("bucket " << i);
    CHECK(shared.buckets()[i] == direct.buckets()[i]);
    CHECK(cls.exec.buckets()[i] == direct.buckets()[i]);
  }
  CHECK(cls.processed == 8);
  CHECK(cls.exec_max == 600.0);
}

TEST_CASE("a duration above the last bound counts only in the total", "[jobs][histogram]") {
  DurationHistogram h;
  const double seconds = h.bounds().back() * 2;
  CHECK(h.bucket_of(seconds) == h.bounds().size());
  h.observe_at(h.bucket_of(seconds), seconds);
  CHECK(h.count() == 1);
  std::uint64_t in_buckets = 0;
  for (auto b : h.buckets()) in_buckets += b;
  CHECK(in_buckets == 0);
}
