#include "worker/pool_config.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <thread>

// POSIX defines it for the program, and no C++ header declares it.
extern char**
    environ;  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables,readability-redundant-declaration)

namespace coyote::host::worker {
namespace {

// ---- the keys this file reads: `server`, `jobs.pool` / `jobs.pools.<name>` -------------------

using config::Field;
using config::Kind;
using config::Spec;
namespace spec = config::spec;

constexpr Field kOnInitFields[] = {
    {"command", &spec::kStringOrList, "— (required when `on_init` is present)",
     "command run once before the workers start", true},
    {"exec_timeout", &spec::kDuration, "`60s`", "limit for the on_init command"},
    {"env", &spec::kStringMap, "`{}`", "extra environment for the on_init command"},
    {"user", &spec::kString, "—", "user for the on_init command"},
    {"exit_on_error", &spec::kBoolean, "`false`", "stop startup when on_init fails"},
};
constexpr Spec kOnInit{Kind::kSection, kOnInitFields};

constexpr Field kServerFields[] = {
    {"command", &spec::kStringOrList,
     "— (required to serve, unless every pool has its own `command`)",
     "worker command: a string (split on whitespace) or a list (used as-is)"},
    {"relay", &spec::kString, "`pipes`",
     "worker relay, passed as `RR_RELAY`. Coyote talks to workers over pipes."},
    {"env", &spec::kStringMap, "`{}`",
     "extra worker environment; names are upper-cased, `$VAR`/`${VAR}` in values expanded "
     "from the host environment"},
    {"user", &spec::kString, "—",
     "run workers as this user (name): its primary group and supplementary groups replace the "
     "host's, set in the child before exec; needs the host to run as root, else start-up fails"},
    {"group", &spec::kString, "—",
     "run workers under this group (name), instead of the user's primary group; needs root"},
    {"on_init", &kOnInit},
    {"relay_timeout", &spec::kDuration, "—", "accepted for old configs, ignored (warning)", false,
     "server.relay_timeout is ignored (pipes only)"},
};
constexpr Spec kServer{Kind::kSection, kServerFields};

constexpr Field kSupervisorFields[] = {
    {"watch_tick", &spec::kDuration, "`5s`",
     "supervisor period (the supervisor is on only when the section exists)"},
    {"ttl", &spec::kDuration, "`0` (off)", "worker age limit (soft)"},
    {"idle_ttl", &spec::kDuration, "`0` (off)", "idle limit (soft)"},
    {"max_worker_memory", &spec::kInteger, "`0` (off)", "RSS limit in MB (soft)"},
    {"exec_ttl", &spec::kDuration, "`0` (off)", "per-job limit (hard: the worker is killed)"},
};
constexpr Spec kSupervisor{Kind::kSection, kSupervisorFields};

constexpr Field kDynamicAllocatorFields[] = {
    {"max_workers", &spec::kInteger, "`10`", "extra workers allowed"},
    {"spawn_rate", &spec::kInteger, "`5`", "extra workers spawned per \"no free workers\" event"},
    {"idle_timeout", &spec::kDuration, "`1m`", "idle extra workers are removed after this"},
};
constexpr Spec kDynamicAllocator{Kind::kSection, kDynamicAllocatorFields};

constexpr std::string_view kSchedulingValues[] = {"priority", "fair"};
constexpr Spec kScheduling{Kind::kString, {}, nullptr, kSchedulingValues};

// `scheduling` is read by the jobs engine (jobs/engine.cpp: the pool's queue), declared here with
// the pool's other keys.
constexpr Field kPoolFields[] = {
    {"scheduling", &kScheduling, "`priority`",
     "**Coyote**: how the pool's queue picks between pipelines: `priority` (RoadRunner's strict "
     "priority: a busy pipeline with a lower priority value starves the others) or `fair` "
     "(weighted fair shares by each pipeline's `weight`, starvation-free, FIFO within a "
     "pipeline among equal priorities)"},
    {"command", &spec::kStringOrList, "`server.command`", "worker command for this pool"},
    {"num_workers", &spec::kInteger, "number of CPUs", "fixed worker count"},
    {"max_jobs", &spec::kInteger, "`0` (unlimited)",
     "jobs per worker before it is replaced (with 0–14 % jitter)"},
    {"max_queue_size", &spec::kInteger, "`0` (unlimited)", "pending executions above this fail"},
    {"allocate_timeout", &spec::kDuration, "`60s`",
     "spawn + handshake deadline; wait-for-free-worker deadline (`0` means the default, as in "
     "RoadRunner)"},
    {"destroy_timeout", &spec::kDuration, "`60s`", "wait for busy workers at shutdown"},
    {"reset_timeout", &spec::kDuration, "`60s`", "wait for busy workers on reset"},
    {"stream_timeout", &spec::kDuration, "`60s`", "accepted (not used by jobs)"},
    {"stop_timeout", &spec::kDuration, "`10s`",
     "**Coyote**: wait after the stop frame before a worker is killed (RoadRunner hard-codes "
     "10 s)"},
    {"debug", &spec::kBoolean, "`false`", "a fresh worker per job"},
    {"max_frame_size", &spec::kInteger, "`67108864` (64 MiB)",
     "**Coyote**: largest frame accepted from a worker, in bytes"},
    {"supervisor", &kSupervisor},
    {"dynamic_allocator", &kDynamicAllocator},
};
constexpr Spec kPool{Kind::kSection, kPoolFields};

// -------------------------------------------------------------------------------------------------

std::string join(std::string_view path, std::string_view key) {
  std::string out(path);
  out += '.';
  out += key;
  return out;
}

std::uint64_t non_negative(const sdk::Config& config, const std::string& key,
                           std::int64_t fallback) {
  const auto v = config.integer_or(key, fallback);
  if (v < 0) throw config.error_at(key, "must not be negative (got " + std::to_string(v) + ")");
  return static_cast<std::uint64_t>(v);
}

Millis duration(const sdk::Config& config, const std::string& key, Millis fallback) {
  const auto v = config.duration_or(key, fallback);
  if (v.count() < 0) throw config.error_at(key, "must not be negative");
  return v;
}

// A command is either a string (split on whitespace) or a list (used as is).
std::vector<std::string> command_at(const sdk::Config& config, const std::string& key) {
  if (auto text = config.text(key)) return split_command(*text);
  auto list = config.strings(key);
  if (!list) return {};
  if (list->size() == 1) return split_command(list->front());
  return *list;
}

}  // namespace

std::vector<std::string> split_command(std::string_view command) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < command.size()) {
    while (i < command.size() && std::isspace(static_cast<unsigned char>(command[i]))) ++i;
    const std::size_t start = i;
    while (i < command.size() && !std::isspace(static_cast<unsigned char>(command[i]))) ++i;
    if (i > start) out.emplace_back(command.substr(start, i - start));
  }
  return out;
}

PoolConfig pool_config_from(const sdk::Config& config, std::string_view path, std::string name) {
  PoolConfig pool;
  pool.name = std::move(name);
  const auto cpus = std::max(1u, std::thread::hardware_concurrency());
  pool.num_workers = non_negative(config, join(path, "num_workers"), cpus);
  if (pool.num_workers > 500) {
    throw config.error_at(join(path, "num_workers"), "at most 500 workers are allowed");
  }
  pool.max_jobs = non_negative(config, join(path, "max_jobs"), 0);
  pool.max_queue_size = non_negative(config, join(path, "max_queue_size"), 0);
  pool.allocate_timeout = duration(config, join(path, "allocate_timeout"), pool.allocate_timeout);
  // 0 killed every worker at spawn, for ever. RoadRunner reads 0 as unset (its default, 60s),
  // and so do we: a config written for it keeps working.
  if (pool.allocate_timeout.count() == 0) pool.allocate_timeout = PoolConfig{}.allocate_timeout;
  pool.destroy_timeout = duration(config, join(path, "destroy_timeout"), pool.destroy_timeout);
  pool.reset_timeout = duration(config, join(path, "reset_timeout"), pool.reset_timeout);
  pool.stream_timeout = duration(config, join(path, "stream_timeout"), pool.stream_timeout);
  pool.stop_timeout = duration(config, join(path, "stop_timeout"), pool.stop_timeout);
  pool.debug = config.boolean_or(join(path, "debug"), false);
  pool.command = command_at(config, join(path, "command"));
  const auto frame = non_negative(config, join(path, "max_frame_size"), pool.max_frame_size);
  if (frame == 0 || frame > 0xffffffffu) {
    throw config.error_at(join(path, "max_frame_size"), "must be between 1 and 4294967295 bytes");
  }
  pool.max_frame_size = static_cast<std::uint32_t>(frame);

  const std::string sup = join(path, "supervisor");
  if (config.has(sup)) {
    auto& s = pool.supervisor;
    s.enabled = true;
    s.watch_tick = duration(config, join(sup, "watch_tick"), s.watch_tick);
    if (s.watch_tick.count() == 0) throw config.error_at(join(sup, "watch_tick"), "must be > 0");
    s.ttl = duration(config, join(sup, "ttl"), s.ttl);
    s.idle_ttl = duration(config, join(sup, "idle_ttl"), s.idle_ttl);
    s.exec_ttl = duration(config, join(sup, "exec_ttl"), s.exec_ttl);
    s.max_worker_memory_mb = non_negative(config, join(sup, "max_worker_memory"), 0);
  }
  // Debug mode: a fresh process per job (RoadRunner also forces num_workers=0 and spawns on
  // demand; a fixed pool with max_jobs=1 gives the same effect to the job's code).
  if (pool.debug) pool.max_jobs = 1;
  if (pool.num_workers == 0) pool.num_workers = 1;
  return pool;
}

const config::Spec& server_keys() { return kServer; }

const config::Spec& pool_keys() { return kPool; }

void check_pool_rules(const config::ConfigDocument& doc, const config::ValidateOptions& options,
                      config::Findings& findings) {
  const bool has_pools = doc.node("jobs.pools").IsMap() && doc.node("jobs.pools").size() > 0;
  if (doc.has("jobs.pool") && doc.has("jobs.pools")) {
    findings.error(doc.node("jobs.pools"), "jobs.pools",
                   "both pool and pools options cannot be set at the same time; keep one");
  }
  if (!options.require_server_command || doc.has("server.command")) return;
  bool every_pool_has_command = has_pools;
  for (const auto& p : doc.keys("jobs.pools")) {
    every_pool_has_command = every_pool_has_command && doc.has("jobs.pools." + p + ".command");
  }
  if (!every_pool_has_command && !doc.has("jobs.pool.command")) {
    const YAML::Node server = doc.node("server");
    findings.error(server.IsDefined() ? server : YAML::Node(), "server.command",
                   "required key is missing: the command that starts a worker, e.g. "
                   "command: \"php worker.php\"");
  }
}

ServerConfig server_config_from(const sdk::Config& config, std::string version) {
  ServerConfig server;
  server.version = std::move(version);
  // May be empty when every pool has its own command (the schema requires one or the other).
  server.command = command_at(config, "server.command");
  for (const auto& key : config.keys("server.env")) {
    server.env.emplace_back(key, config.string_or("server.env." + key, ""));
  }
  server.relay = config.string_or("server.relay", "pipes");
  if (config.has("rpc.listen")) server.rpc_listen = config.string_or("rpc.listen", "");
  const std::string user = config.string_or("server.user", "");
  const std::string group = config.string_or("server.group", "");
  if (!user.empty() || !group.empty()) {
    auto credentials = resolve_credentials(user, group);
    if (!credentials) {
      throw config.error_at(!user.empty() ? "server.user" : "server.group", credentials.error());
    }
    server.credentials = std::move(*credentials);
  }
  return server;
}

std::string expand_worker_env(std::string_view value, const std::vector<std::string>& host_env) {
  auto lookup = [&](std::string_view name) -> std::string {
    for (const auto& kv : host_env) {
      if (kv.size() > name.size() && kv[name.size()] == '=' &&
          kv.compare(0, name.size(), name) == 0) {
        return kv.substr(name.size() + 1);
      }
    }
    return {};
  };
  auto is_name = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  std::string out;
  for (std::size_t i = 0; i < value.size();) {
    if (value[i] != '$' || i + 1 >= value.size()) {
      out.push_back(value[i++]);
      continue;
    }
    if (value[i + 1] == '{') {
      const auto close = value.find('}', i + 2);
      if (close == std::string_view::npos) {
        out.append(value.substr(i));
        break;
      }
      out += lookup(value.substr(i + 2, close - i - 2));
      i = close + 1;
      continue;
    }
    std::size_t j = i + 1;
    while (j < value.size() && is_name(value[j])) ++j;
    if (j == i + 1) {
      out.push_back(value[i++]);
      continue;
    }
    out += lookup(value.substr(i + 1, j - i - 1));
    i = j;
  }
  return out;
}

std::vector<std::string> build_environment(const ServerConfig& server,
                                           const std::vector<std::string>& host_env) {
  // Ordered map keyed by name keeps "later duplicates win" without a second pass.
  std::vector<std::string> order;
  std::map<std::string, std::string> values;
  auto set = [&](std::string key, std::string value) {
    if (values.find(key) == values.end()) order.push_back(key);
    values[std::move(key)] = std::move(value);
  };
  for (const auto& kv : host_env) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    set(kv.substr(0, eq), kv.substr(eq + 1));
  }
  set("RR_RELAY", server.relay.empty() ? "pipes" : server.relay);
  if (!server.rpc_listen.empty()) set("RR_RPC", server.rpc_listen);
  for (const auto& [key, value] : server.env) {
    std::string upper = key;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    set(std::move(upper), expand_worker_env(value, host_env));
  }
  set("RR_VERSION", server.version);
  set("RR_MODE", "jobs");
  std::vector<std::string> out;
  out.reserve(order.size());
  for (const auto& key : order) out.push_back(key + "=" + values[key]);
  return out;
}

std::vector<std::string> host_environment() {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) out.emplace_back(*e);
  return out;
}

}  // namespace coyote::host::worker
