#include "schedule/cron_spec.hpp"

#include "config/duration.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <stdexcept>
#include <vector>

namespace coyote::host::schedule {
namespace {

using std::chrono::seconds;

constexpr std::string_view kFix =
    "; write 5 fields \"min hour dom mon dow\", 6 with seconds first, @hourly/@daily/@weekly/"
    "@monthly/@yearly or \"@every 10m\"";

struct FieldInfo {
  std::string_view name;
  int min;
  int max;
  const std::array<std::string_view, 12>* names;  // value of names[i] is min + i
};

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 12> kDayNames = {"SUN", "MON", "TUE", "WED", "THU", "FRI",
                                                        "SAT", "",    "",    "",    "",    ""};

constexpr FieldInfo kSecond{"second", 0, 59, nullptr};
constexpr FieldInfo kMinute{"minute", 0, 59, nullptr};
constexpr FieldInfo kHour{"hour", 0, 23, nullptr};
constexpr FieldInfo kDay{"day of month", 1, 31, nullptr};
constexpr FieldInfo kMonth{"month", 1, 12, &kMonthNames};
// 7 is accepted for Sunday and folded onto 0.
constexpr FieldInfo kWeekday{"day of week", 0, 7, &kDayNames};

[[noreturn]] void fail(std::string_view text, const std::string& problem) {
  throw std::invalid_argument("cron spec \"" + std::string(text) + "\": " + problem);
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto at = s.find(sep, start);
    out.push_back(
        s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) != 0) ++i;
    const std::size_t start = i;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) == 0) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

int value_of(std::string_view text, std::string_view word, const FieldInfo& f) {
  if (f.names != nullptr) {
    for (std::size_t i = 0; i < f.names->size(); ++i) {
      if (!(*f.names)[i].empty() && iequals(word, (*f.names)[i])) {
        return f.min + static_cast<int>(i);
      }
    }
  }
  int v = 0;
  const auto* end = word.data() + word.size();
  auto [ptr, ec] = std::from_chars(word.data(), end, v);
  if (ec != std::errc{} || ptr != end || word.empty()) {
    fail(text, "\"" + std::string(word) + "\" is not a number or name in the " +
                   std::string(f.name) + " field");
  }
  if (v < f.min || v > f.max) {
    fail(text, std::string(f.name) + " " + std::to_string(v) + " is out of range " +
                   std::to_string(f.min) + "-" + std::to_string(f.max));
  }
  return v;
}

/// Sets the bits of one field; returns true when it was "*" or "?" (unrestricted).
template <std::size_t N>
bool parse_field(std::string_view text, std::string_view field, const FieldInfo& f,
                 std::bitset<N>& bits) {
  const bool star = field == "*" || field == "?";
  for (std::string_view part : split(field, ',')) {
    if (part.empty()) fail(text, "empty list item in the " + std::string(f.name) + " field");
    int step = 1;
    bool has_step = false;
    if (const auto slash = part.find('/'); slash != std::string_view::npos) {
      const auto step_text = part.substr(slash + 1);
      const auto* end = step_text.data() + step_text.size();
      auto [ptr, ec] = std::from_chars(step_text.data(), end, step);
      if (ec != std::errc{} || ptr != end || step_text.empty() || step <= 0) {
        fail(text, "step \"" + std::string(step_text) + "\" in the " + std::string(f.name) +
                       " field must be a positive number");
      }
      part = part.substr(0, slash);
      has_step = true;
    }
    int lo = f.min;
    int hi = f.max;
    if (part == "*" || part == "?") {
      if (part == "?" && f.name != kDay.name && f.name != kWeekday.name) {
        fail(text, "\"?\" is only allowed in the day fields");
      }
    } else if (const auto dash = part.find('-'); dash != std::string_view::npos) {
      lo = value_of(text, part.substr(0, dash), f);
      hi = value_of(text, part.substr(dash + 1), f);
      if (hi < lo) {
        fail(text, "range " + std::string(part) + " in the " + std::string(f.name) +
                       " field goes backwards; write it low-high");
      }
    } else {
      lo = value_of(text, part, f);
      // "a/n" means a, a+n, ... up to the maximum; plain "a" is a alone.
      if (!has_step) hi = lo;
    }
    for (int v = lo; v <= hi; v += step) {
      const int folded = (f.name == kWeekday.name && v == 7) ? 0 : v;
      bits.set(static_cast<std::size_t>(folded));
    }
  }
  return star;
}

struct Shortcut {
  std::string_view name;
  std::string_view fields;
};
constexpr Shortcut kShortcuts[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

}  // namespace

CronSpec CronSpec::parse(std::string_view text, std::string_view zone) {
  CronSpec spec;
  spec.text_ = std::string(text);
  std::vector<std::string_view> parts = words(text);
  if (parts.empty()) fail(text, "is empty" + std::string(kFix));
  std::string_view zone_name = zone;
  for (std::string_view prefix : {std::string_view("CRON_TZ="), std::string_view("TZ=")}) {
    if (parts.front().substr(0, prefix.size()) == prefix) {
      if (!zone.empty()) {
        fail(text, "names a time zone and the schedule has a timezone key too; keep one");
      }
      zone_name = parts.front().substr(prefix.size());
      parts.erase(parts.begin());
      break;
    }
  }
  if (parts.empty()) fail(text, "has a time zone but no schedule" + std::string(kFix));
  if (parts.front() == "@every") {
    if (parts.size() != 2) fail(text, "@every takes one duration, like \"@every 90s\"");
    if (!zone_name.empty()) fail(text, "@every counts real time; a time zone has no meaning");
    const auto d = config::parse_duration(parts[1]);
    if (!d || d->count() <= 0 || d->count() % 1000 != 0) {
      fail(text, "\"" + std::string(parts[1]) +
                     "\" is not a duration of whole seconds >= 1s (e.g. 30s, 5m, 1h30m)");
    }
    spec.every_ = std::chrono::duration_cast<seconds>(*d);
    return spec;
  }
  std::string expanded;
  if (parts.front().front() == '@') {
    if (parts.size() != 1) fail(text, std::string(parts.front()) + " takes no fields");
    const auto* hit = std::find_if(std::begin(kShortcuts), std::end(kShortcuts),
                                   [&](const Shortcut& s) { return iequals(s.name, parts[0]); });
    if (hit == std::end(kShortcuts)) {
      fail(text, "unknown shortcut " + std::string(parts.front()) + std::string(kFix));
    }
    expanded = std::string(hit->fields);
    parts = words(expanded);
  }
  if (parts.size() != 5 && parts.size() != 6) {
    fail(text, "has " + std::to_string(parts.size()) + " fields" + std::string(kFix));
  }
  std::size_t i = 0;
  if (parts.size() == 6) {
    parse_field(text, parts[i++], kSecond, spec.fields_.seconds);
  } else {
    spec.fields_.seconds.set(0);
  }
  parse_field(text, parts[i++], kMinute, spec.fields_.minutes);
  parse_field(text, parts[i++], kHour, spec.fields_.hours);
  spec.fields_.days_star = parse_field(text, parts[i++], kDay, spec.fields_.days);
  parse_field(text, parts[i++], kMonth, spec.fields_.months);
  std::bitset<8> weekdays;
  spec.fields_.weekdays_star = parse_field(text, parts[i++], kWeekday, weekdays);
  for (std::size_t d = 0; d < 7; ++d) spec.fields_.weekdays.set(d, weekdays.test(d));
  if (!zone_name.empty() && zone_name != "UTC" && zone_name != "Etc/UTC") {
    try {
      spec.zone_ = date::locate_zone(zone_name);
    } catch (const std::exception&) {
      fail(text, "unknown time zone \"" + std::string(zone_name) +
                     "\"; use an IANA name such as Europe/Berlin or America/New_York "
                     "(see /usr/share/zoneinfo)");
    }
  }
  return spec;
}

std::string CronSpec::zone_name() const {
  if (every_.count() > 0) return {};
  return zone_ != nullptr ? std::string(zone_->name()) : std::string("UTC");
}

std::optional<Seconds> CronSpec::next(Seconds after) const {
  if (every_.count() > 0) {
    const auto n = after.time_since_epoch().count();
    const auto d = every_.count();
    // Floor division, so instants before the epoch (tests) are handled as well.
    const auto k = (n >= 0 ? n / d : (n - d + 1) / d) + 1;
    return Seconds{seconds{k * d}};
  }
  return next_cron(after);
}

bool CronSpec::day_matches(date::year_month_day ymd) const {
  const bool dom = fields_.days.test(static_cast<unsigned>(ymd.day()));
  const bool dow = fields_.weekdays.test(date::weekday{date::sys_days{ymd}}.c_encoding());
  if (fields_.days_star || fields_.weekdays_star) return dom && dow;
  return dom || dow;
}

std::optional<Seconds> CronSpec::next_cron(Seconds after) const {
  using std::chrono::duration_cast;
  using std::chrono::hours;
  using std::chrono::minutes;
  const auto local_of = [this](Seconds s) {
    return zone_ != nullptr ? zone_->to_local(s) : date::local_seconds{s.time_since_epoch()};
  };
  // The instant a matching local time stands for (see the class comment for DST).
  const auto instant_of = [this](date::local_seconds t) {
    const Seconds naive{t.time_since_epoch()};
    if (zone_ == nullptr) return naive;
    const auto info = zone_->get_info(t);
    if (info.result == date::local_info::nonexistent) return info.second.begin;
    return naive - info.first.offset;  // unique, or the first of two
  };
  date::local_seconds t = local_of(after) + seconds{1};
  const date::local_seconds limit = t + date::days{5 * 366};
  while (t <= limit) {
    const auto day = date::floor<date::days>(t);
    const date::year_month_day ymd{day};
    if (!fields_.months.test(static_cast<unsigned>(ymd.month()))) {
      const auto next_month = date::year_month{ymd.year(), ymd.month()} + date::months{1};
      t = date::local_seconds{date::local_days{next_month / 1}};
      continue;
    }
    if (!day_matches(ymd)) {
      t = date::local_seconds{day + date::days{1}};
      continue;
    }
    const auto tod = t - date::local_seconds{day};
    const auto h = duration_cast<hours>(tod).count();
    const auto m = duration_cast<minutes>(tod).count() % 60;
    const auto s = tod.count() % 60;
    if (!fields_.hours.test(static_cast<std::size_t>(h))) {
      t = date::local_seconds{day} + hours{h + 1};
      continue;
    }
    if (!fields_.minutes.test(static_cast<std::size_t>(m))) {
      t = date::local_seconds{day} + hours{h} + minutes{m + 1};
      continue;
    }
    if (!fields_.seconds.test(static_cast<std::size_t>(s))) {
      t += seconds{1};
      continue;
    }
    if (const Seconds at = instant_of(t); at > after) return at;
    t += seconds{1};
  }
  return std::nullopt;
}

}  // namespace coyote::host::schedule
