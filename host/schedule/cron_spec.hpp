// CronSpec: when a periodic job is due — a 5/6-field cron line, a shortcut or `@every`.
#pragma once

#include <date/tz.h>

#include <bitset>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace coyote::host::schedule {

using Clock = std::chrono::system_clock;
using Seconds = std::chrono::sys_seconds;

/// Parsed once from text; next() is pure, so a test drives it with any instant.
///
/// Accepted:
///   "m h dom mon dow"            5 fields, at second 0
///   "s m h dom mon dow"          6 fields (robfig/cron with seconds, gocraft/work's syntax)
///   "CRON_TZ=Europe/Berlin ..."  (or "TZ=") the zone the fields are read in; default UTC
///   "@hourly" "@daily" "@midnight" "@weekly" "@monthly" "@yearly" "@annually"
///   "@every 90s"                 a Go duration of whole seconds, >= 1s
/// Fields: `*`, `?` (day fields), `a`, `a-b`, `*/n`, `a-b/n`, `a/n`, comma lists, names
/// JAN..DEC and SUN..SAT (case-insensitive), 7 = Sunday. When both day-of-month and day-of-week
/// are restricted a day matching either is due (Vixie cron).
///
/// Time zones (the OS tz database through Howard Hinnant's date/tz, the C++20 <chrono> tzdb API
/// that g++ 12 lacks): a local time skipped by a DST jump forward is due at the instant the jump
/// ends (once, however many skipped times matched); a local time that occurs twice is due at its
/// first occurrence only.
///
/// `@every d` is due at the multiples of d since the Unix epoch, so two hosts (or one host
/// before and after a restart) agree on every due time without sharing a start time.
class CronSpec {
 public:
  /// Throws std::invalid_argument with a message naming the bad part and the fix.
  /// `zone` (a `timezone` key) is used when the text has no CRON_TZ= prefix; both is an error.
  static CronSpec parse(std::string_view text, std::string_view zone = {});

  /// The first due instant strictly after `after`; nullopt when none exists within 5 years
  /// (e.g. "0 0 30 2 *").
  [[nodiscard]] std::optional<Seconds> next(Seconds after) const;

  [[nodiscard]] const std::string& text() const noexcept { return text_; }
  /// The zone's name ("UTC" by default); "" for @every.
  [[nodiscard]] std::string zone_name() const;

 private:
  struct Fields {
    std::bitset<60> seconds;
    std::bitset<60> minutes;
    std::bitset<24> hours;
    std::bitset<32> days;     // 1..31
    std::bitset<13> months;   // 1..12
    std::bitset<7> weekdays;  // 0 = Sunday
    bool days_star = false;
    bool weekdays_star = false;
  };

  [[nodiscard]] std::optional<Seconds> next_cron(Seconds after) const;
  [[nodiscard]] bool day_matches(date::year_month_day ymd) const;

  std::string text_;
  std::chrono::seconds every_{0};  // > 0: an @every spec
  Fields fields_;
  const date::time_zone* zone_ = nullptr;  // nullptr: UTC
};

}  // namespace coyote::host::schedule
