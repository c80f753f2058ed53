#include "config/schema.hpp"

#include "config/duration.hpp"
#include "config/suggest.hpp"

#include <charconv>
#include <span>
#include <string_view>

namespace coyote::host::config {
namespace {

// ---------------------------------------------------------------------------------------------
// The schema as data. To accept a new key, add a Field to the right table; nothing else changes.
// ---------------------------------------------------------------------------------------------

enum class Kind {
  kString,        // any scalar
  kInteger,       // integer or numeric string
  kBoolean,       // YAML boolean
  kDuration,      // Go duration or bare seconds
  kStringList,    // list of scalars
  kStringOrList,  // scalar or list of scalars (commands)
  kStringMap,     // map of scalars (env)
  kSection,       // map with the fixed keys in `fields`
  kNamed,         // map of user-chosen names, each value checked against `value`
  kOpaqueMap,     // a map owned by someone else (driver options): not looked into
};

// What an unknown key in a section means.
enum class Unknown {
  kError,             // a typo in one of our sections
  kWarnUnlessTypo,    // pipeline level: RoadRunner also reads driver options here
  kIgnoreUnlessTypo,  // top level: other plugins' sections
};

struct Spec;

struct Field {
  std::string_view name;
  const Spec* spec;
  bool required = false;
  std::string_view deprecated = {};  // non-empty: accepted with this warning
};

struct Spec {
  Kind kind;
  std::span<const Field> fields = {};
  const Spec* value = nullptr;                     // kNamed
  std::span<const std::string_view> allowed = {};  // kString: the accepted values, if limited
  Unknown unknown = Unknown::kError;
};

constexpr Spec kString{Kind::kString};
constexpr Spec kInteger{Kind::kInteger};
constexpr Spec kBoolean{Kind::kBoolean};
constexpr Spec kDuration{Kind::kDuration};
constexpr Spec kStringList{Kind::kStringList};
constexpr Spec kStringOrList{Kind::kStringOrList};
constexpr Spec kStringMap{Kind::kStringMap};
constexpr Spec kOpaqueMap{Kind::kOpaqueMap};

constexpr std::string_view kLogModes[] = {"development", "production", "raw"};
constexpr std::string_view kLogLevels[] = {"debug",  "info",  "warn",  "warning", "error",
                                           "dpanic", "panic", "fatal", "trace"};
constexpr std::string_view kLogEncodings[] = {"console", "json"};
constexpr std::string_view kBackoffs[] = {"constant", "linear", "exponential"};
constexpr Spec kLogMode{Kind::kString, {}, nullptr, kLogModes};
constexpr Spec kLogLevel{Kind::kString, {}, nullptr, kLogLevels};
constexpr Spec kLogEncoding{Kind::kString, {}, nullptr, kLogEncodings};
constexpr Spec kBackoff{Kind::kString, {}, nullptr, kBackoffs};

constexpr Field kFileLoggerFields[] = {
    {"log_output", &kString},   {"max_size", &kInteger}, {"max_age", &kInteger},
    {"max_backups", &kInteger}, {"compress", &kBoolean},
};
constexpr Spec kFileLogger{Kind::kSection, kFileLoggerFields};

constexpr Field kChannelFields[] = {
    {"mode", &kLogMode},
    {"level", &kLogLevel},
    {"encoding", &kLogEncoding},
    {"output", &kStringOrList},
    {"err_output", &kStringOrList},
    {"file_logger_options", &kFileLogger},
};
constexpr Spec kChannel{Kind::kSection, kChannelFields};
constexpr Spec kChannels{Kind::kNamed, {}, &kChannel};

constexpr Field kLogsFields[] = {
    {"mode", &kLogMode},
    {"level", &kLogLevel},
    {"encoding", &kLogEncoding},
    {"output", &kStringOrList},
    {"err_output", &kStringOrList},
    {"file_logger_options", &kFileLogger},
    {"channels", &kChannels},
};
constexpr Spec kLogs{Kind::kSection, kLogsFields};

constexpr Field kRpcFields[] = {{"listen", &kString}};
constexpr Spec kRpc{Kind::kSection, kRpcFields};

constexpr Field kOnInitFields[] = {
    {"command", &kStringOrList, true},
    {"exec_timeout", &kDuration},
    {"env", &kStringMap},
    {"user", &kString},
    {"exit_on_error", &kBoolean},
};
constexpr Spec kOnInit{Kind::kSection, kOnInitFields};

constexpr Field kServerFields[] = {
    {"command", &kStringOrList},
    {"relay", &kString},
    {"env", &kStringMap},
    {"user", &kString},
    {"group", &kString},
    {"on_init", &kOnInit},
    {"relay_timeout", &kDuration, false, "server.relay_timeout is ignored (pipes only)"},
};
constexpr Spec kServer{Kind::kSection, kServerFields};

constexpr Field kSupervisorFields[] = {
    {"watch_tick", &kDuration},       {"ttl", &kDuration},      {"idle_ttl", &kDuration},
    {"max_worker_memory", &kInteger}, {"exec_ttl", &kDuration},
};
constexpr Spec kSupervisor{Kind::kSection, kSupervisorFields};

constexpr Field kDynamicAllocatorFields[] = {
    {"max_workers", &kInteger},
    {"spawn_rate", &kInteger},
    {"idle_timeout", &kDuration},
};
constexpr Spec kDynamicAllocator{Kind::kSection, kDynamicAllocatorFields};

constexpr Field kPoolFields[] = {
    {"command", &kStringOrList},
    {"num_workers", &kInteger},
    {"max_jobs", &kInteger},
    {"max_queue_size", &kInteger},
    {"allocate_timeout", &kDuration},
    {"destroy_timeout", &kDuration},
    {"reset_timeout", &kDuration},
    {"stream_timeout", &kDuration},
    {"stop_timeout", &kDuration},
    {"debug", &kBoolean},
    {"max_frame_size", &kInteger},
    {"supervisor", &kSupervisor},
    {"dynamic_allocator", &kDynamicAllocator},
};
constexpr Spec kPool{Kind::kSection, kPoolFields};
constexpr Spec kPools{Kind::kNamed, {}, &kPool};

constexpr Field kRetryFields[] = {
    {"max_attempts", &kInteger}, {"backoff", &kBackoff}, {"initial", &kDuration},
    {"max", &kDuration},         {"jitter", &kString},  // a fraction 0..1 (or true/false)
};
constexpr Spec kRetry{Kind::kSection, kRetryFields};

constexpr Field kPipelineFields[] = {
    {"driver", &kString, true}, {"config", &kOpaqueMap}, {"priority", &kInteger},
    {"pool", &kString},         {"retry", &kRetry},      {"dead_letter", &kString},
};
constexpr Spec kPipeline{Kind::kSection, kPipelineFields, nullptr, {}, Unknown::kWarnUnlessTypo};
constexpr Spec kPipelines{Kind::kNamed, {}, &kPipeline};

constexpr Field kJobsOptionsFields[] = {{"parallelism", &kInteger}};
constexpr Spec kJobsOptions{Kind::kSection, kJobsOptionsFields};

constexpr Field kJobsFields[] = {
    {"num_pollers", &kInteger, false,
     "jobs.num_pollers is deprecated and ignored: workers are fed as they become free"},
    {"pipeline_size", &kInteger},
    {"timeout", &kDuration},
    {"options", &kJobsOptions},
    {"consume", &kStringList},
    {"pool", &kPool},
    {"pools", &kPools},
    {"pipelines", &kPipelines},
    {"drain_timeout", &kDuration},
};
constexpr Spec kJobs{Kind::kSection, kJobsFields};

constexpr Field kCoyoteFields[] = {{"plugins", &kStringOrList}};
constexpr Spec kCoyote{Kind::kSection, kCoyoteFields};

constexpr Field kTopFields[] = {
    {"version", &kString, true},
    {"rpc", &kRpc},
    {"server", &kServer},
    {"logs", &kLogs},
    {"jobs", &kJobs},
    {"coyote", &kCoyote},
};
constexpr Spec kTop{Kind::kSection, kTopFields, nullptr, {}, Unknown::kIgnoreUnlessTypo};

// RoadRunner sections that are not ours but are close enough to ours to look like typos.
constexpr std::string_view kForeignSections[] = {
    "grpc",      "lock",       "kv",       "http",       "otel",       "status",         "reload",
    "metrics",   "temporal",   "tcp",      "centrifuge", "service",    "fileserver",     "amqp",
    "beanstalk", "sqs",        "nats",     "kafka",      "boltdb",     "google_pub_sub", "redis",
    "memcached", "endure",     "informer", "resetter",   "app_logger", "headers",        "gzip",
    "static",    "prometheus", "api",      "websockets", "broadcast",
};

// ---------------------------------------------------------------------------------------------

class Validator {
 public:
  Validator(const ConfigDocument& doc, std::vector<Diagnostic>& out) : doc_(doc), out_(out) {}

  void check(const YAML::Node& node, const YAML::Node& key_node, const std::string& path,
             const Spec& spec) {
    if (!node.IsDefined() || node.IsNull()) return;  // an empty key means "use the default"
    switch (spec.kind) {
      case Kind::kString:
        if (!expect_scalar(node, path, "a string")) return;
        if (!spec.allowed.empty()) check_allowed(node, path, spec.allowed);
        return;
      case Kind::kInteger:
        if (expect_scalar(node, path, "an integer") && !is_integer(node.Scalar())) {
          error(node, path, "expected an integer like 10, got " + describe(node));
        }
        return;
      case Kind::kBoolean: {
        bool ignored = false;
        if (expect_scalar(node, path, "true or false") &&
            !YAML::convert<bool>::decode(node, ignored)) {
          error(node, path, "expected true or false, got " + describe(node));
        }
        return;
      }
      case Kind::kDuration:
        if (expect_scalar(node, path, "a duration") && !parse_duration(node.Scalar())) {
          error(node, path, "expected a duration like \"60s\" or \"1m30s\", got " + describe(node));
        }
        return;
      case Kind::kStringOrList:
        if (node.IsScalar()) return;
        [[fallthrough]];
      case Kind::kStringList:
        if (!node.IsSequence()) {
          error(node, path, "expected a list of strings, got " + describe(node));
          return;
        }
        for (std::size_t i = 0; i < node.size(); ++i) {
          expect_scalar(node[i], path + "." + std::to_string(i), "a string");
        }
        return;
      case Kind::kStringMap:
        if (!expect_map(node, key_node, path, "a map of NAME: value")) return;
        for (auto it = node.begin(); it != node.end(); ++it) {
          if (!it->second.IsNull()) {
            expect_scalar(it->second, path + "." + it->first.Scalar(), "a string value");
          }
        }
        return;
      case Kind::kOpaqueMap:
        expect_map(node, key_node, path, "a map");
        return;
      case Kind::kNamed:
        if (!expect_map(node, key_node, path, "a map of names")) return;
        for (auto it = node.begin(); it != node.end(); ++it) {
          check(it->second, it->first, path + "." + it->first.Scalar(), *spec.value);
        }
        return;
      case Kind::kSection:
        check_section(node, key_node, path, spec);
        return;
    }
  }

  void error(const YAML::Node& at, const std::string& path, const std::string& message) {
    add(Diagnostic::Severity::kError, at, path, message);
  }
  void warning(const YAML::Node& at, const std::string& path, const std::string& message) {
    add(Diagnostic::Severity::kWarning, at, path, message);
  }

 private:
  static std::string describe(const YAML::Node& node) {
    if (node.IsMap()) return "a map";
    if (node.IsSequence()) return "a list";
    return "\"" + node.Scalar() + "\"";
  }

  static bool is_integer(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return !s.empty() && ec == std::errc() && ptr == s.data() + s.size();
  }

  void add(Diagnostic::Severity severity, const YAML::Node& at, const std::string& path,
           const std::string& message) {
    const Location where = doc_.location_of(at, path);
    Diagnostic d;
    d.severity = severity;
    d.file = doc_.file();
    d.line = where.line;
    d.column = where.column;
    d.key = path;
    d.message = where.override_text.empty()
                    ? message
                    : message + " (set by -o \"" + where.override_text + "\")";
    out_.push_back(std::move(d));
  }

  bool expect_scalar(const YAML::Node& node, const std::string& path, std::string_view what) {
    if (node.IsScalar()) return true;
    error(node, path, "expected " + std::string(what) + ", got " + describe(node));
    return false;
  }

  bool expect_map(const YAML::Node& node, const YAML::Node& key_node, const std::string& path,
                  std::string_view what) {
    if (node.IsMap()) return true;
    error(node.IsScalar() ? node : key_node, path,
          "expected " + std::string(what) + ", got " + describe(node));
    return false;
  }

  void check_allowed(const YAML::Node& node, const std::string& path,
                     std::span<const std::string_view> allowed) {
    for (const auto value : allowed) {
      if (node.Scalar() == value) return;
    }
    std::string list;
    for (const auto value : allowed) list += (list.empty() ? "" : ", ") + std::string(value);
    std::string message = "unsupported value " + describe(node) + "; expected one of " + list;
    if (auto near = closest_match(node.Scalar(), {allowed.begin(), allowed.end()})) {
      message += " (did you mean " + *near + "?)";
    }
    error(node, path, message);
  }

  void check_section(const YAML::Node& node, const YAML::Node& key_node, const std::string& path,
                     const Spec& spec) {
    if (!expect_map(node, key_node, path, "a section (a map of keys)")) return;
    std::vector<std::string_view> names;
    for (const auto& f : spec.fields) names.push_back(f.name);
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string name = it->first.IsScalar() ? it->first.Scalar() : std::string("?");
      const std::string child = path.empty() ? name : path + "." + name;
      const Field* field = nullptr;
      for (const auto& f : spec.fields) {
        if (f.name == name) field = &f;
      }
      if (field != nullptr) {
        if (!field->deprecated.empty()) warning(it->first, child, std::string(field->deprecated));
        check(it->second, it->first, child, *field->spec);
        continue;
      }
      unknown_key(it->first, child, name, names, spec.unknown);
    }
    for (const auto& f : spec.fields) {
      if (!f.required) continue;
      const YAML::Node value = node[std::string(f.name)];
      if (!value.IsDefined() || value.IsNull()) {
        error(key_node, path.empty() ? std::string(f.name) : path + "." + std::string(f.name),
              "required key is missing" + std::string(path.empty() ? "" : " in " + path));
      }
    }
  }

  void unknown_key(const YAML::Node& key, const std::string& path, const std::string& name,
                   const std::vector<std::string_view>& names, Unknown policy) {
    const auto near = closest_match(name, names);
    switch (policy) {
      case Unknown::kError: {
        std::string message = "unknown key";
        if (near) {
          message += "; did you mean " + *near + "?";
        } else {
          std::string list;
          for (const auto n : names) list += (list.empty() ? "" : ", ") + std::string(n);
          message += "; valid keys here: " + list;
        }
        error(key, path, message);
        return;
      }
      case Unknown::kWarnUnlessTypo:
        if (near) {
          error(key, path, "unknown key; did you mean " + *near + "?");
        } else {
          warning(key, path,
                  "not a pipeline key; driver options belong under config (read from here only "
                  "for RoadRunner compatibility)");
        }
        return;
      case Unknown::kIgnoreUnlessTypo:
        for (const auto foreign : kForeignSections) {
          if (foreign == name) return;
        }
        if (near) error(key, path, "unknown section; did you mean " + *near + "?");
        return;
    }
  }

  const ConfigDocument& doc_;
  std::vector<Diagnostic>& out_;
};

// Rules that tie keys together, which a per-key table cannot express.
void check_cross_keys(const ConfigDocument& doc, const ValidateOptions& options, Validator& v) {
  const YAML::Node pools = doc.node("jobs.pools");
  const bool has_pools = pools.IsMap() && pools.size() > 0;
  if (doc.has("jobs.pool") && doc.has("jobs.pools")) {
    v.error(doc.node("jobs.pools"), "jobs.pools",
            "both pool and pools options cannot be set at the same time; keep one");
  }

  std::vector<std::string> pool_names = doc.keys("jobs.pools");
  if (doc.node("jobs.pipelines").IsMap()) {
    std::vector<std::string_view> names(pool_names.begin(), pool_names.end());
    for (const auto& name : doc.keys("jobs.pipelines")) {
      const std::string path = "jobs.pipelines." + name + ".pool";
      const YAML::Node pool = doc.node(path);
      if (!pool.IsScalar() || !has_pools) continue;
      bool found = false;
      for (const auto& p : pool_names) found = found || p == pool.Scalar();
      if (!found) {
        std::string message = "no pool named \"" + pool.Scalar() + "\" in jobs.pools";
        if (auto near = closest_match(pool.Scalar(), names))
          message += "; did you mean " + *near + "?";
        v.error(pool, path, message);
      }
    }
  }

  if (options.require_server_command && !doc.has("server.command")) {
    bool every_pool_has_command = has_pools;
    for (const auto& p : pool_names) {
      every_pool_has_command = every_pool_has_command && doc.has("jobs.pools." + p + ".command");
    }
    if (!every_pool_has_command && !doc.has("jobs.pool.command")) {
      const YAML::Node server = doc.node("server");
      v.error(server.IsDefined() ? server : YAML::Node(), "server.command",
              "required key is missing: the command that starts a worker, e.g. "
              "command: \"php worker.php\"");
    }
  }
}

}  // namespace

std::vector<Diagnostic> validate(const ConfigDocument& doc, const ValidateOptions& options) {
  std::vector<Diagnostic> out;
  Validator v(doc, out);
  v.check(doc.root(), doc.root(), "", kTop);
  check_cross_keys(doc, options, v);
  return out;
}

std::vector<Diagnostic> validate_or_throw(const ConfigDocument& doc,
                                          const ValidateOptions& options) {
  std::vector<Diagnostic> warnings;
  for (auto& d : validate(doc, options)) {
    if (d.is_error()) throw d.to_error();
    warnings.push_back(std::move(d));
  }
  return warnings;
}

}  // namespace coyote::host::config
