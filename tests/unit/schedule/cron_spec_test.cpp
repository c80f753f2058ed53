#include "schedule/cron_spec.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using coyote::host::schedule::CronSpec;
using coyote::host::schedule::Seconds;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

Seconds utc(int y, unsigned m, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return Seconds{date::sys_days{date::year{y} / m / d}} + hours{h} + minutes{mi} + seconds{s};
}

std::string next_text(const CronSpec& spec, Seconds after) {
  const auto n = spec.next(after);
  return n ? date::format("%FT%TZ", *n) : std::string("never");
}

}  // namespace

TEST_CASE("a five-field spec is due at second 0 of each matching minute", "[schedule]") {
  const auto spec = CronSpec::parse("*/15 * * * *");
  CHECK(next_text(spec, utc(2026, 1, 1, 0, 7, 30)) == "2026-01-01T00:15:00Z");
  CHECK(next_text(spec, utc(2026, 1, 1, 0, 15, 0)) == "2026-01-01T00:30:00Z");
  CHECK(next_text(spec, utc(2026, 1, 1, 23, 59, 59)) == "2026-01-02T00:00:00Z");
  CHECK(spec.zone_name() == "UTC");
}

TEST_CASE("a six-field spec reads seconds first", "[schedule]") {
  const auto spec = CronSpec::parse("*/10 * * * * *");
  CHECK(next_text(spec, utc(2026, 1, 1, 0, 0, 5)) == "2026-01-01T00:00:10Z");
  const auto at = CronSpec::parse("30 0 12 * * *");
  CHECK(next_text(at, utc(2026, 1, 1, 12, 0, 30)) == "2026-01-02T12:00:30Z");
}

TEST_CASE("shortcuts stand for their cron lines", "[schedule]") {
  const Seconds t = utc(2026, 5, 13, 10, 20);  // a Wednesday
  CHECK(next_text(CronSpec::parse("@hourly"), t) == "2026-05-13T11:00:00Z");
  CHECK(next_text(CronSpec::parse("@daily"), t) == "2026-05-14T00:00:00Z");
  CHECK(next_text(CronSpec::parse("@midnight"), t) == "2026-05-14T00:00:00Z");
  CHECK(next_text(CronSpec::parse("@weekly"), t) == "2026-05-17T00:00:00Z");  // Sunday
  CHECK(next_text(CronSpec::parse("@monthly"), t) == "2026-06-01T00:00:00Z");
  CHECK(next_text(CronSpec::parse("@yearly"), t) == "2027-01-01T00:00:00Z");
  CHECK(next_text(CronSpec::parse("@annually"), t) == "2027-01-01T00:00:00Z");
}

TEST_CASE("@every is due at the multiples of its duration since the epoch", "[schedule]") {
  const auto spec = CronSpec::parse("@every 90s");
  CHECK(spec.next(Seconds{seconds{0}})->time_since_epoch().count() == 90);
  CHECK(spec.next(Seconds{seconds{89}})->time_since_epoch().count() == 90);
  CHECK(spec.next(Seconds{seconds{90}})->time_since_epoch().count() == 180);
  CHECK(spec.zone_name().empty());
  CHECK(CronSpec::parse("@every 1h30m").next(Seconds{seconds{1}})->time_since_epoch().count() ==
        5400);
}

TEST_CASE("names, ranges, steps and lists select their values", "[schedule]") {
  const auto spec = CronSpec::parse("0 9 * jan-mar MON-FRI");
  // Saturday 2026-01-03 -> Monday 2026-01-05 09:00.
  CHECK(next_text(spec, utc(2026, 1, 3, 12)) == "2026-01-05T09:00:00Z");
  // End of March -> next January.
  CHECK(next_text(spec, utc(2026, 3, 31, 10)) == "2027-01-01T09:00:00Z");
  const auto list = CronSpec::parse("5,10-12,50/5 * * * *");
  CHECK(next_text(list, utc(2026, 1, 1, 0, 5)) == "2026-01-01T00:10:00Z");
  CHECK(next_text(list, utc(2026, 1, 1, 0, 12)) == "2026-01-01T00:50:00Z");
  CHECK(next_text(list, utc(2026, 1, 1, 0, 55)) == "2026-01-01T01:05:00Z");
  CHECK(next_text(CronSpec::parse("0 0 * * 7"), utc(2026, 5, 13)) == "2026-05-17T00:00:00Z");
}

TEST_CASE("a day matching either restricted day field is due (Vixie cron)", "[schedule]") {
  const auto spec = CronSpec::parse("0 0 13 * FRI");
  // From Monday 2026-02-09: Friday the 13th is both; Friday 2026-02-20 only the weekday.
  CHECK(next_text(spec, utc(2026, 2, 9)) == "2026-02-13T00:00:00Z");
  CHECK(next_text(spec, utc(2026, 2, 13)) == "2026-02-20T00:00:00Z");
  CHECK(next_text(spec, utc(2026, 3, 7)) == "2026-03-13T00:00:00Z");
  // With "?" only the other field restricts.
  CHECK(next_text(CronSpec::parse("0 0 13 * ?"), utc(2026, 2, 14)) == "2026-03-13T00:00:00Z");
}

TEST_CASE("a date that never comes is never due", "[schedule]") {
  CHECK(next_text(CronSpec::parse("0 0 30 2 *"), utc(2026, 1, 1)) == "never");
}

TEST_CASE("a time zone moves the fields and follows its offset", "[schedule]") {
  const auto spec = CronSpec::parse("CRON_TZ=America/New_York 0 9 * * *");
  CHECK(spec.zone_name() == "America/New_York");
  CHECK(next_text(spec, utc(2026, 1, 15)) == "2026-01-15T14:00:00Z");  // EST, UTC-5
  CHECK(next_text(spec, utc(2026, 7, 15)) == "2026-07-15T13:00:00Z");  // EDT, UTC-4
  CHECK(next_text(CronSpec::parse("0 9 * * *", "Asia/Tokyo"), utc(2026, 1, 15)) ==
        "2026-01-16T00:00:00Z");
}

TEST_CASE("a local time skipped by a DST jump is due once, when the jump ends", "[schedule]") {
  // Europe/Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00 UTC).
  const auto daily = CronSpec::parse("30 2 * * *", "Europe/Berlin");
  CHECK(next_text(daily, utc(2026, 3, 28, 12)) == "2026-03-29T01:00:00Z");
  CHECK(next_text(daily, utc(2026, 3, 29, 1)) == "2026-03-30T00:30:00Z");
  // Every minute of the skipped hour collapses onto that one instant, fired once.
  const auto minutely = CronSpec::parse("* 2 * * *", "Europe/Berlin");
  CHECK(next_text(minutely, utc(2026, 3, 29, 0, 59, 30)) == "2026-03-29T01:00:00Z");
  CHECK(next_text(minutely, utc(2026, 3, 29, 1)) == "2026-03-30T00:00:00Z");
}

TEST_CASE("a local time that occurs twice is due at its first occurrence only", "[schedule]") {
  // Europe/Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00 UTC); 02:30 happens twice.
  const auto daily = CronSpec::parse("CRON_TZ=Europe/Berlin 30 2 * * *");
  CHECK(next_text(daily, utc(2026, 10, 24, 12)) == "2026-10-25T00:30:00Z");
  CHECK(next_text(daily, utc(2026, 10, 25, 0, 30)) == "2026-10-26T01:30:00Z");
}

TEST_CASE("a bad spec is refused with what is wrong and how to write it", "[schedule]") {
  const auto refused = [](const char* text, const char* zone, const char* says) {
    CHECK_THROWS_WITH(CronSpec::parse(text, zone), Catch::Contains(says));
  };
  refused("61 * * * *", "", "minute 61 is out of range 0-59");
  refused("* 24 * * *", "", "hour 24 is out of range 0-23");
  refused("* * * *", "", "has 4 fields; write 5 fields");
  refused("", "", "is empty");
  refused("* * * * MONDAY", "", "\"MONDAY\" is not a number or name in the day of week field");
  refused("*/0 * * * *", "", "step \"0\" in the minute field must be a positive number");
  refused("5-1 * * * *", "", "goes backwards");
  refused("? * * * *", "", "\"?\" is only allowed in the day fields");
  refused("@often", "", "unknown shortcut @often");
  refused("@every 0s", "", "whole seconds >= 1s");
  refused("@every 1.5s", "", "whole seconds >= 1s");
  refused("@every soon", "", "is not a duration");
  refused("CRON_TZ=Mars/Olympus * * * * *", "", "unknown time zone \"Mars/Olympus\"");
  refused("* * * * *", "Europe/Nowhere", "unknown time zone \"Europe/Nowhere\"");
  refused("CRON_TZ=UTC * * * * *", "UTC", "keep one");
}
