#include "schedule/schedule_definition.hpp"

#include "schedule/cron_spec.hpp"

#include <boost/json.hpp>

#include <stdexcept>
#include <tuple>

namespace coyote::host::schedule {
namespace {

namespace json = boost::json;

// ---- the keys this file reads: jobs.schedules.<name> ----------------------------------------

using config::Field;
using config::Kind;
using config::Spec;
namespace spec = config::spec;

constexpr std::string_view kCatchUps[] = {"skip", "once"};
constexpr Spec kCatchUp{Kind::kString, {}, nullptr, kCatchUps};
constexpr std::string_view kOverlaps[] = {"skip", "allow"};
constexpr Spec kOverlap{Kind::kString, {}, nullptr, kOverlaps};

constexpr Field kScheduleFields[] = {
    {"spec", &spec::kString, "— (required)",
     "**Coyote**: when the job is due: 5 cron fields `min hour dom mon dow`, 6 with seconds "
     "first, an optional `CRON_TZ=Zone/Name ` prefix, `@hourly` `@daily` `@weekly` `@monthly` "
     "`@yearly`, or `@every 90s` (multiples of the duration since the Unix epoch). See "
     "docs/scheduling.md",
     true},
    {"timezone", &spec::kString, "`UTC`",
     "**Coyote**: IANA zone the cron fields are read in (`Europe/Berlin`); or a `CRON_TZ=` "
     "prefix in `spec`, not both"},
    {"pipeline", &spec::kString, "— (required)", "**Coyote**: the pipeline each fire pushes into",
     true},
    {"job", &spec::kString, "— (required)",
     "**Coyote**: the job name workers see (`job` in the context, a PHP class name)", true},
    {"payload", &spec::kString, "`\"\"`", "**Coyote**: the job's payload, as text"},
    {"headers", &spec::kStringMap, "`{}`", "**Coyote**: headers of each job (one value each)"},
    {"priority", &spec::kInteger, "`0` (the pipeline's)", "**Coyote**: each job's priority"},
    {"catch_up", &kCatchUp, "`skip`",
     "**Coyote**: due times missed while the host was down (known from the last fire kept in "
     "`jobs.dead_letter.file`): `skip` drops them, `once` pushes one job at startup for all of "
     "them"},
    {"overlap", &kOverlap, "`skip`",
     "**Coyote**: `skip` skips a fire (counted) while the previous fire's job is queued, delayed "
     "or running; `allow` pushes anyway"},
    {"paused", &spec::kBoolean, "`false`",
     "**Coyote**: start paused (`coyote jobs schedules resume NAME`)"},
};
constexpr Spec kSchedule{Kind::kSection, kScheduleFields};

// -------------------------------------------------------------------------------------------------

std::string catch_up_text(CatchUp c) { return c == CatchUp::kOnce ? "once" : "skip"; }
std::string overlap_text(Overlap o) { return o == Overlap::kAllow ? "allow" : "skip"; }

}  // namespace

const config::Spec& schedules_keys() { return kSchedule; }

json::object ScheduleDefinition::to_json() const {
  json::object o;
  o["name"] = name;
  o["spec"] = spec;
  if (!timezone.empty()) o["timezone"] = timezone;
  o["pipeline"] = pipeline;
  o["job"] = job;
  o["payload"] = payload;
  json::object h;
  for (const auto& [key, values] : headers) {
    json::array list;
    for (const auto& v : values) list.emplace_back(v);
    h[key] = std::move(list);
  }
  o["headers"] = std::move(h);
  o["priority"] = priority;
  o["catch_up"] = catch_up_text(catch_up);
  o["overlap"] = overlap_text(overlap);
  o["paused"] = paused;
  o["origin"] = from_config ? "config" : "rpc";
  return o;
}

sdk::Result<ScheduleDefinition> ScheduleDefinition::from_json(const json::object& o) {
  ScheduleDefinition d;
  d.from_config = false;
  const auto text = [&](std::string_view key, std::string& out, bool required) -> sdk::Status {
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) {
      if (required) {
        return sdk::Status::error("schedule: \"" + std::string(key) + "\" is required");
      }
      return sdk::Status::ok();
    }
    if (!v->is_string()) {
      return sdk::Status::error("schedule: \"" + std::string(key) + "\" must be a string");
    }
    out = std::string(v->get_string());
    return sdk::Status::ok();
  };
  for (auto [key, out, required] :
       {std::tuple<std::string_view, std::string*, bool>{"name", &d.name, true},
        {"spec", &d.spec, true},
        {"timezone", &d.timezone, false},
        {"pipeline", &d.pipeline, true},
        {"job", &d.job, true},
        {"payload", &d.payload, false}}) {
    if (auto s = text(key, *out, required); !s) return s;
  }
  if (d.name.empty()) return sdk::Status::error("schedule: \"name\" must not be empty");
  if (const auto* h = o.if_contains("headers"); h != nullptr && !h->is_null()) {
    if (!h->is_object()) {
      return sdk::Status::error(R"(schedule: "headers" must be an object {"Name":["value"]})");
    }
    for (const auto& [key, values] : h->get_object()) {
      std::vector<std::string> list;
      if (values.is_string()) {
        list.emplace_back(values.get_string());
      } else if (values.is_array()) {
        for (const auto& item : values.get_array()) {
          if (!item.is_string()) {
            return sdk::Status::error("schedule: header \"" + std::string(key) +
                                      "\" must hold strings");
          }
          list.emplace_back(item.get_string());
        }
      } else {
        return sdk::Status::error("schedule: header \"" + std::string(key) +
                                  "\" must be a string or a list of strings");
      }
      d.headers.insert_or_assign(std::string(key), std::move(list));
    }
  }
  if (const auto* p = o.if_contains("priority"); p != nullptr && !p->is_null()) {
    if (!p->is_int64()) return sdk::Status::error("schedule: \"priority\" must be an integer");
    d.priority = p->get_int64();
  }
  std::string catch_up = "skip";
  std::string overlap = "skip";
  if (auto s = text("catch_up", catch_up, false); !s) return s;
  if (auto s = text("overlap", overlap, false); !s) return s;
  if (catch_up != "skip" && catch_up != "once") {
    return sdk::Status::error(R"(schedule: "catch_up" must be "skip" or "once", got ")" + catch_up +
                              "\"");
  }
  if (overlap != "skip" && overlap != "allow") {
    return sdk::Status::error(R"(schedule: "overlap" must be "skip" or "allow", got ")" + overlap +
                              "\"");
  }
  d.catch_up = catch_up == "once" ? CatchUp::kOnce : CatchUp::kSkip;
  d.overlap = overlap == "allow" ? Overlap::kAllow : Overlap::kSkip;
  if (const auto* p = o.if_contains("paused"); p != nullptr && !p->is_null()) {
    if (!p->is_bool()) return sdk::Status::error("schedule: \"paused\" must be true or false");
    d.paused = p->get_bool();
  }
  if (const auto* origin = o.if_contains("origin");
      origin != nullptr && origin->is_string() && origin->get_string() == "config") {
    d.from_config = true;
  }
  try {
    (void)CronSpec::parse(d.spec, d.timezone);
  } catch (const std::invalid_argument& e) {
    return sdk::Status::error("schedule " + d.name + ": " + e.what());
  }
  return d;
}

std::vector<ScheduleDefinition> schedules_from_config(const sdk::Config& config) {
  std::vector<ScheduleDefinition> out;
  for (const auto& name : config.keys("jobs.schedules")) {
    const std::string base = "jobs.schedules." + name;
    ScheduleDefinition d;
    d.name = name;
    const auto required = [&](const char* key) {
      auto v = config.string(base + "." + key);
      if (!v || v->empty()) {
        throw config.error_at(
            base, std::string("a schedule needs \"") + key + "\" (see docs/scheduling.md)");
      }
      return *v;
    };
    d.spec = required("spec");
    d.pipeline = required("pipeline");
    d.job = required("job");
    d.timezone = config.string(base + ".timezone").value_or(std::string());
    d.payload = config.string(base + ".payload").value_or(std::string());
    for (const auto& key : config.keys(base + ".headers")) {
      d.headers[key] = {config.string(base + ".headers." + key).value_or(std::string())};
    }
    d.priority = config.integer_or(base + ".priority", 0);
    const std::string catch_up = config.string(base + ".catch_up").value_or(std::string("skip"));
    if (catch_up != "skip" && catch_up != "once") {
      throw config.error_at(base + ".catch_up",
                            "must be \"skip\" (drop fires missed while the host was down, the "
                            "default) or \"once\" (one job at startup for them); got \"" +
                                catch_up + "\"");
    }
    d.catch_up = catch_up == "once" ? CatchUp::kOnce : CatchUp::kSkip;
    const std::string overlap = config.string(base + ".overlap").value_or(std::string("skip"));
    if (overlap != "skip" && overlap != "allow") {
      throw config.error_at(base + ".overlap",
                            "must be \"skip\" (no fire while the previous job is queued or "
                            "running, the default) or \"allow\"; got \"" +
                                overlap + "\"");
    }
    d.overlap = overlap == "allow" ? Overlap::kAllow : Overlap::kSkip;
    d.paused = config.boolean_or(base + ".paused", false);
    try {
      (void)CronSpec::parse(d.spec, d.timezone);
    } catch (const std::invalid_argument& e) {
      const bool zone_problem =
          std::string_view(e.what()).find("time zone") != std::string_view::npos &&
          !d.timezone.empty();
      throw config.error_at(base + (zone_problem ? ".timezone" : ".spec"), e.what());
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace coyote::host::schedule
