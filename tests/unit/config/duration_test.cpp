#include "config/duration.hpp"

#include <catch2/catch.hpp>

using coyote::host::config::parse_duration;
using std::chrono::milliseconds;

TEST_CASE("durations accept Go's forms and bare seconds", "[config]") {
  CHECK(parse_duration("60s") == milliseconds(60'000));
  CHECK(parse_duration("1m30s") == milliseconds(90'000));
  CHECK(parse_duration("500ms") == milliseconds(500));
  CHECK(parse_duration("1h") == milliseconds(3'600'000));
  CHECK(parse_duration("2.5s") == milliseconds(2'500));
  CHECK(parse_duration("0.1s") == milliseconds(100));
  CHECK(parse_duration("1h2m3.5s") == milliseconds(3'723'500));
  CHECK(parse_duration("1500us") == milliseconds(1));
  CHECK(parse_duration("2000000ns") == milliseconds(2));
  CHECK(parse_duration("60") == milliseconds(60'000));
  CHECK(parse_duration("1.5") == milliseconds(1'500));
  CHECK(parse_duration("0") == milliseconds(0));
  CHECK(parse_duration(" 5s ") == milliseconds(5'000));
}

TEST_CASE("durations reject text that is not a duration", "[config]") {
  for (const char* bad : {"", "abc", "1m30", "s", "5 s", "-1s", "1d", "1.2.3s", "ms5"}) {
    INFO(bad);
    CHECK_FALSE(parse_duration(bad).has_value());
  }
}
