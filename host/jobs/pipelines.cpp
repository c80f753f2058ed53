#include "jobs/pipelines.hpp"

#include "config/suggest.hpp"
#include "plugin/plugin_error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <utility>

namespace coyote::host::jobs {
namespace {

constexpr std::int64_t kDefaultPriority = 10;

// ---- the keys this file reads: jobs.pipelines.<name> ----------------------------------------

using config::Field;
using config::Kind;
using config::Spec;
namespace spec = config::spec;

const Field kPipelineFields[] = {
    {"driver", &spec::kString, "— (required)", "driver name (`memory`, ...)", true},
    {"config", &spec::kOpaqueMap, "—", "driver options: owned by the driver, not checked here"},
    {"priority", &spec::kInteger, "`config.priority`, else `10`", "pipeline priority"},
    {"pool", &spec::kString, "—", "pool name from `jobs.pools` (checked to exist)"},
    {"weight", &spec::kInteger, "`1`",
     "**Coyote**: the pipeline's share of its pool's workers under `scheduling: fair` (1 to "
     "1000000; with weights 3 and 1, three jobs of the first start for each of the second while "
     "both have jobs waiting). Ignored under `priority` scheduling"},
    {"max_concurrency", &spec::kInteger, "`0` (unlimited)",
     "**Coyote**: at most this many of the pipeline's jobs run at once in its pool; the others "
     "wait, without holding up other pipelines' jobs"},
    {"rate_limit", &spec::kString, "— (none)",
     "**Coyote**: at most `<jobs>/<window>` of the pipeline's jobs start per window, e.g. "
     "`100/1s`, `5/500ms` (a bucket of `<jobs>` that refills evenly over the window; a bare "
     "number is per second); `0` is an error"},
    {"retry", &retry_keys()},
    {"dead_letter", &spec::kString, "—",
     "**Coyote**: where jobs go that used up their attempts or that a worker failed without "
     "requeue. The name of another pipeline: the job is pushed into it (its driver keeps it, its "
     "workers may consume it). Any other name: a host-side dead-letter store of that name "
     "(listable, replayable). Without it such jobs go to the host's default store `dead` (see "
     "`jobs.dead_letter`): nothing is dropped. A pipeline cannot name itself."},
};
// RoadRunner reads driver options at pipeline level too: an unknown key there only warns.
const Spec kPipeline{
    Kind::kSection, kPipelineFields, nullptr, {}, config::Unknown::kWarnUnlessTypo};

// -------------------------------------------------------------------------------------------------

}  // namespace

const config::Spec& pipeline_keys() { return kPipeline; }

void check_pipeline_pools(const config::ConfigDocument& doc,
                          const config::ValidateOptions& /*options*/, config::Findings& findings) {
  const std::vector<std::string> pools = doc.keys("jobs.pools");
  if (pools.empty() || !doc.node("jobs.pipelines").IsMap()) return;
  const std::vector<std::string_view> names(pools.begin(), pools.end());
  for (const auto& name : doc.keys("jobs.pipelines")) {
    const std::string path = "jobs.pipelines." + name + ".pool";
    const YAML::Node pool = doc.node(path);
    if (!pool.IsScalar()) continue;
    if (std::find(pools.begin(), pools.end(), pool.Scalar()) != pools.end()) continue;
    std::string message = "no pool named \"" + pool.Scalar() + "\" in jobs.pools";
    if (auto near = config::closest_match(pool.Scalar(), names)) {
      message += "; did you mean " + *near + "?";
    }
    findings.error(pool, path, message);
  }
}

std::string no_such_pipeline(std::string_view name) {
  return "no such pipeline, requested: " + std::string(name);
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n.empty() ? std::string("\"\"") : n;
  }
  return out;
}

Pipelines::Pipelines(const sdk::Config& config, plugin::DriverCatalog& drivers, QueueOf queue_of,
                     std::vector<std::string> pools, StoreNamed store_named)
    : config_(config),
      drivers_(drivers),
      queue_of_(std::move(queue_of)),
      pools_(std::move(pools)),
      store_named_(std::move(store_named)) {}

Pipelines::~Pipelines() = default;

std::string Pipelines::unknown_driver_text(std::string_view driver,
                                           std::string_view pipeline) const {
  std::string text =
      fmt::format(R"(unknown driver "{}" for pipeline "{}"; available: )", driver, pipeline);
  const std::vector<std::string> available = drivers_.names();
  if (available.empty()) {
    return text +
           "none (no driver plugin was loaded: check the plugin directory, COYOTE_PLUGIN_PATH "
           "and coyote.plugins)";
  }
  text += join_names(available);
  const std::vector<std::string_view> names(available.begin(), available.end());
  if (auto near = config::closest_match(driver, names)) {
    text += fmt::format(" (did you mean \"{}\"?)", *near);
  }
  return text;
}

std::string Pipelines::unknown_pool_text(std::string_view pool, std::string_view pipeline) const {
  return fmt::format(R"(pipeline "{}" uses pool "{}", which is not configured; pools: {})",
                     pipeline, pool, join_names(pools_));
}

void Pipelines::build_from_config() {
  for (const auto& name : config_.keys("jobs.pipelines")) build(name);
}

void Pipelines::build(const std::string& name) {
  const std::string base = "jobs.pipelines." + name;
  const std::string config_key = base + ".config";
  const auto driver_name = config_.string(base + ".driver");
  if (!driver_name || driver_name->empty()) {
    throw config_.error_at(base, fmt::format("pipeline \"{}\" has no driver; set driver: to one "
                                             "of: {}",
                                             name, join_names(drivers_.names())));
  }
  if (!drivers_.has(*driver_name)) {
    throw config_.error_at(base + ".driver", unknown_driver_text(*driver_name, name));
  }
  // RoadRunner also reads priority and pool from the driver's options.
  std::int64_t priority = kDefaultPriority;
  if (auto p = config_.integer(base + ".priority")) {
    priority = *p;
  } else if (auto cp = config_.integer(config_key + ".priority")) {
    priority = *cp;
  }
  std::string pool = config_.string(base + ".pool")
                         .value_or(config_.string(config_key + ".pool").value_or(std::string()));
  sdk::Queue* queue = queue_of_(pool);
  if (queue == nullptr) throw config_.error_at(base + ".pool", unknown_pool_text(pool, name));
  // The flat option map declared pipelines get, built from the scalar keys: top level wins.
  sdk::Pipeline::Options options;
  for (const auto& key : config_.keys(base)) {
    if (auto v = config_.text(base + "." + key)) options.emplace(key, std::move(*v));
  }
  for (const auto& key : config_.keys(config_key)) {
    if (auto v = config_.text(config_key + "." + key)) options.emplace(key, std::move(*v));
  }
  std::string dead_letter = config_.string(base + ".dead_letter").value_or(std::string());
  if (dead_letter == name) {
    throw config_.error_at(base + ".dead_letter",
                           "a pipeline cannot be its own dead_letter (its dead jobs would loop); "
                           "name another pipeline or a dead-letter store");
  }
  set_rule(name, RetryPolicy::from_config(config_, base), std::move(dead_letter));
  sdk::Pipeline pipeline(name, *driver_name, priority, std::move(options));
  FlowSettings flow;
  if (auto bad = parse_flow_settings(pipeline, flow)) {
    const std::string at =
        config_.has(base + "." + bad->key) ? base + "." + bad->key : config_key + "." + bad->key;
    throw config_.error_at(at, bad->message);
  }
  std::unique_ptr<sdk::Driver> driver = drivers_.from_config(config_key, *queue, pipeline);
  pipelines_.insert_or_assign(
      name, PipelineEntry{std::move(pipeline), std::move(pool), std::move(driver), flow});
}

sdk::Status check_declared_name(std::string_view name, std::string_view what) {
  const auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == ':';
  };
  const bool ok = !name.empty() && name.size() <= kMaxDeclaredName && name.front() != '.' &&
                  std::all_of(name.begin(), name.end(), allowed);
  if (ok) return sdk::Status::ok();
  std::string shown;
  for (const char c : name.substr(0, 64)) shown += allowed(c) ? c : '?';
  if (name.size() > 64) shown += "...";
  return sdk::Status::error("declare: " + std::string(what) + " \"" + shown + "\" (" +
                            std::to_string(name.size()) + " bytes) is not allowed: use 1 to " +
                            std::to_string(kMaxDeclaredName) +
                            " of A-Z a-z 0-9 _ - . : , not starting with a dot");
}

sdk::Result<PipelineEntry*> Pipelines::declare(const std::map<std::string, std::string>& options) {
  auto get = [&](const char* key) {
    auto it = options.find(key);
    return it == options.end() ? std::string() : it->second;
  };
  std::string name = get("name");
  if (name.empty()) name = get("queue");  // RoadRunner's fallback for an old PHP client bug
  const std::string driver_name = get("driver");
  if (driver_name.empty()) {
    return sdk::Status::error("no associated driver with the pipeline, pipeline name: " + name +
                              " (set \"driver\"; available: " + join_names(drivers_.names()) + ")");
  }
  if (name.empty()) return sdk::Status::error("declare: the pipeline has no name (set \"name\")");
  if (auto bad = check_declared_name(name, "pipeline name"); !bad) return bad;
  if (const auto dead = get("dead_letter"); !dead.empty()) {
    if (auto bad = check_declared_name(dead, "dead_letter"); !bad) return bad;
  }
  if (auto it = pipelines_.find(name); it != pipelines_.end()) {
    return sdk::Status::error("pipeline already exists, name: " + name +
                              ", driver: " + it->second.pipeline.driver());
  }
  if (!drivers_.has(driver_name)) {
    return sdk::Status::error(unknown_driver_text(driver_name, name));
  }

  std::int64_t priority = kDefaultPriority;
  const std::string text = get("priority");
  std::int64_t parsed = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (!text.empty() && ec == std::errc{} && end == text.data() + text.size()) priority = parsed;

  std::string pool = get("pool");
  sdk::Queue* queue = queue_of_(pool);
  if (queue == nullptr) return sdk::Status::error(unknown_pool_text(pool, name));

  sdk::Pipeline pipeline(name, driver_name, priority,
                         sdk::Pipeline::Options(options.begin(), options.end()));
  if (pipeline.string("dead_letter") == name) {
    return sdk::Status::error("declare: pipeline " + name + " cannot be its own dead_letter");
  }
  FlowSettings flow;
  if (auto bad = parse_flow_settings(pipeline, flow)) {
    return sdk::Status::error("declare: pipeline " + name + ": " + bad->message);
  }
  set_rule(name, RetryPolicy::from_options(pipeline), pipeline.string("dead_letter"));
  auto built = drivers_.from_pipeline(pipeline, *queue);
  if (!built) return built.status();
  auto& entry = pipelines_
                    .insert_or_assign(name, PipelineEntry{std::move(pipeline), std::move(pool),
                                                          std::move(built).value(), flow})
                    .first->second;
  return &entry;
}

bool Pipelines::retire(std::string_view name) {
  auto it = pipelines_.find(name);
  if (it == pipelines_.end()) return false;
  retired_.push_back(std::move(it->second.driver));
  pipelines_.erase(it);
  return true;
}

PipelineEntry* Pipelines::find(std::string_view name) {
  auto it = pipelines_.find(name);
  return it == pipelines_.end() ? nullptr : &it->second;
}

const PipelineEntry* Pipelines::find(std::string_view name) const {
  auto it = pipelines_.find(name);
  return it == pipelines_.end() ? nullptr : &it->second;
}

std::vector<std::string> Pipelines::names() const {
  std::vector<std::string> out;
  out.reserve(pipelines_.size());
  for (const auto& [name, entry] : pipelines_) out.push_back(name);
  return out;
}

void Pipelines::for_each(const std::function<void(const std::string&, PipelineEntry&)>& op) {
  for (auto& [name, entry] : pipelines_) op(name, entry);
}

void Pipelines::set_rule(const std::string& pipeline, RetryPolicy policy, std::string dead_letter) {
  // A name that is not a pipeline is a host-side store: make it visible in stat at once.
  if (!dead_letter.empty() && !config_.has("jobs.pipelines." + dead_letter) &&
      pipelines_.find(dead_letter) == pipelines_.end()) {
    store_named_(dead_letter);
  }
  rules_.insert_or_assign(pipeline, DeliveryRule{policy, std::move(dead_letter)});
}

const DeliveryRule& Pipelines::rule(std::string_view pipeline) const {
  auto it = rules_.find(pipeline);
  return it == rules_.end() ? default_rule_ : it->second;
}

}  // namespace coyote::host::jobs
