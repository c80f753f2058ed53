// ProcessMetrics reads this process from /proc.
#include "metrics/process_metrics.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <map>

namespace m = coyote::host::metrics;

TEST_CASE("process metrics report this process's memory, descriptors and start time", "[metrics]") {
  const m::ProcessMetrics process;
  std::map<std::string, double> values;
  for (const auto& f : process.collect()) {
    REQUIRE(f.values.size() == 1);
    values[f.desc->name] = f.values[0];
  }
  CHECK(values.at("process_resident_memory_bytes") > 1024 * 1024);
  CHECK(values.at("process_virtual_memory_bytes") >= values.at("process_resident_memory_bytes"));
  CHECK(values.at("process_open_fds") >= 3);
  CHECK(values.at("process_max_fds") >= values.at("process_open_fds"));
  CHECK(values.at("process_cpu_seconds_total") >= 0);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(values.at("process_start_time_seconds") <= now + 1);
  CHECK(values.at("process_start_time_seconds") > now - 3600);
  CHECK(values.at("coyote_uptime_seconds") >= 0);
}
