#include "log/log.hpp"

#include "config/key_spec.hpp"
#include "log/escaped_message.hpp"
#include "log/json_formatter.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace coyote::host::log {
namespace {

// ---- the keys this file reads: `logs` (and `logs.channels.<logger>`) ----------------------------

constexpr std::string_view kModes[] = {"development", "production", "raw"};
constexpr std::string_view kLevels[] = {"debug",  "info",  "warn",  "warning", "error",
                                        "dpanic", "panic", "fatal", "trace"};
constexpr std::string_view kEncodings[] = {"console", "json"};

using config::Field;
using config::Kind;
using config::Spec;
namespace spec = config::spec;

constexpr Spec kMode{Kind::kString, {}, nullptr, kModes};
constexpr Spec kLevel{Kind::kString, {}, nullptr, kLevels};
constexpr Spec kEncoding{Kind::kString, {}, nullptr, kEncodings};

constexpr Field kFileLoggerFields[] = {
    {"log_output", &spec::kString, "—",
     "write to this file with size-based rotation instead of `output`"},
    {"max_size", &spec::kInteger, "`100`", "MB before the file rotates"},
    {"max_age", &spec::kInteger, "—", "accepted, not implemented"},
    {"max_backups", &spec::kInteger, "`0`", "rotated files kept"},
    {"compress", &spec::kBoolean, "—", "accepted, not implemented"},
};
constexpr Spec kFileLogger{Kind::kSection, kFileLoggerFields};

constexpr Field kChannelFields[] = {
    {"mode", &kMode},
    {"level", &kLevel},
    {"encoding", &kEncoding},
    {"output", &spec::kStringOrList},
    {"err_output", &spec::kStringOrList},
    {"file_logger_options", &kFileLogger},
};
constexpr Spec kChannel{Kind::kSection, kChannelFields};
constexpr Spec kChannels{Kind::kNamed, {}, &kChannel, {}, config::Unknown::kError, "<logger>"};

constexpr Field kLogsFields[] = {
    {"mode", &kMode, "`development`",
     "`development`: colored console lines, level debug. `production`: JSON lines, level info. "
     "`raw`: the message only."},
    {"level", &kLevel, "by mode (debug; info in production)",
     "`debug`, `info`, `warn`, `error`, `panic`/`dpanic`/`fatal` (→ critical); `trace` "
     "(**Coyote**)"},
    {"encoding", &kEncoding, "by mode",
     "`console` or `json` (ignored in raw mode). JSON lines have zap's keys: `level`, `ts` "
     "(epoch seconds), `logger`, `msg`."},
    {"output", &spec::kStringOrList, "`stderr`",
     "`stderr`, `stdout` or a file path (appended to), or a list of them"},
    {"err_output", &spec::kStringOrList, "`stderr`",
     "accepted; Coyote's logger has no separate error stream (see gaps)"},
    {"file_logger_options", &kFileLogger},
    {"channels", &kChannels, "—",
     "the same keys, for one logger (`jobs`, `rpc`, `server`, `plugin.memory`, ...). "
     "**Coyote**: unset keys inherit from `logs`, and a channel also applies to loggers below "
     "it (`plugin` covers `plugin.memory`)."},
};
constexpr Spec kLogs{Kind::kSection, kLogsFields};

// -------------------------------------------------------------------------------------------------

/// A log file the host creates is 0640, not the 0644 fopen gives: lines carry job ids, worker
/// output and errors. An existing file keeps its mode (the operator chose it).
void create_private(const std::string& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd >= 0) ::close(fd);
}

// %* is the message with control characters escaped (EscapedMessage): one entry, one line.
constexpr const char* kConsolePattern = "%Y-%m-%dT%H:%M:%S.%e%z\t%^%-7l%$\t%n\t%*";

enum class Format { kColorConsole, kConsole, kJson, kRaw };

// One `logs` or `logs.channels.<name>` block as written; unset keys are inherited.
struct Written {
  std::optional<std::string> mode;
  std::optional<std::string> level;
  std::optional<std::string> encoding;
  std::optional<std::vector<std::string>> output;
  std::optional<std::string> file_path;  // file_logger_options.log_output
  std::optional<std::int64_t> file_max_size_mb;
  std::optional<std::int64_t> file_max_backups;
  std::string prefix;  // config path, for errors

  Written over(const Written& base) const {
    Written w = *this;
    if (!w.mode) w.mode = base.mode;
    if (!w.level) w.level = base.level;
    if (!w.encoding) w.encoding = base.encoding;
    if (!w.output) w.output = base.output;
    if (!w.file_path) w.file_path = base.file_path;
    if (!w.file_max_size_mb) w.file_max_size_mb = base.file_max_size_mb;
    if (!w.file_max_backups) w.file_max_backups = base.file_max_backups;
    return w;
  }
};

struct Profile {
  spdlog::level::level_enum level = spdlog::level::info;
  std::vector<spdlog::sink_ptr> sinks;
};

struct Entry {
  std::shared_ptr<spdlog::logger> logger;
  std::shared_ptr<spdlog::sinks::dist_sink_mt> dist;
};

struct State {
  std::mutex mutex;
  std::map<std::string, Entry, std::less<>> loggers;
  Profile base;
  std::map<std::string, Profile, std::less<>> channels;
};

Profile default_profile() {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  sink->set_formatter(console_formatter(kConsolePattern));
  return Profile{spdlog::level::info, {sink}};
}

State& state() {
  static State s{{}, {}, default_profile(), {}};
  return s;
}

// Exact channel name, else the longest channel that is a dotted prefix ("plugin" for
// "plugin.memory").
const Profile& profile_for(const State& s, std::string_view name) {
  const Profile* best = &s.base;
  std::size_t best_len = 0;
  for (const auto& [channel, profile] : s.channels) {
    const bool matches = name == channel ||
                         (name.size() > channel.size() &&
                          name.substr(0, channel.size()) == channel && name[channel.size()] == '.');
    if (matches && channel.size() >= best_len) {
      best = &profile;
      best_len = channel.size();
    }
  }
  return *best;
}

void apply(Entry& e, const Profile& p) {
  e.dist->set_sinks(p.sinks);
  e.logger->set_level(p.level);
}

Written read_block(const sdk::Config& cfg, const std::string& prefix) {
  Written w;
  w.prefix = prefix;
  w.mode = cfg.string(prefix + ".mode");
  w.level = cfg.string(prefix + ".level");
  w.encoding = cfg.string(prefix + ".encoding");
  w.output = cfg.strings(prefix + ".output");
  w.file_path = cfg.string(prefix + ".file_logger_options.log_output");
  w.file_max_size_mb = cfg.integer(prefix + ".file_logger_options.max_size");
  w.file_max_backups = cfg.integer(prefix + ".file_logger_options.max_backups");
  return w;
}

spdlog::level::level_enum parse_level(const sdk::Config& cfg, const std::string& path,
                                      const std::string& text) {
  if (text == "trace") return spdlog::level::trace;
  if (text == "debug") return spdlog::level::debug;
  if (text == "info") return spdlog::level::info;
  if (text == "warn" || text == "warning") return spdlog::level::warn;
  if (text == "error") return spdlog::level::err;
  if (text == "dpanic" || text == "panic" || text == "fatal") return spdlog::level::critical;
  throw cfg.error_at(path, "unsupported log level \"" + text +
                               "\"; expected one of debug, info, warn, error, panic, fatal");
}

class SinkFactory {
 public:
  explicit SinkFactory(const sdk::Config& cfg) : cfg_(cfg) {}

  Profile build(const Written& w) {
    const std::string mode = w.mode.value_or("development");
    if (mode != "development" && mode != "production" && mode != "raw") {
      throw cfg_.error_at(w.prefix + ".mode", "unsupported log mode \"" + mode +
                                                  "\"; expected development, production or raw");
    }
    Profile p;
    // RoadRunner's defaults: development logs everything, production from info up.
    p.level = w.level ? parse_level(cfg_, w.prefix + ".level", *w.level)
                      : (mode == "production" ? spdlog::level::info : spdlog::level::debug);
    Format format = mode == "production" ? Format::kJson
                    : mode == "raw"      ? Format::kRaw
                                         : Format::kColorConsole;
    if (w.encoding && mode != "raw") {
      if (*w.encoding == "json") {
        format = Format::kJson;
      } else if (*w.encoding == "console") {
        format = mode == "development" ? Format::kColorConsole : Format::kConsole;
      } else {
        throw cfg_.error_at(w.prefix + ".encoding", "unsupported log encoding \"" + *w.encoding +
                                                        "\"; expected console or json");
      }
    }
    if (w.file_path) {
      p.sinks.push_back(rotating(*w.file_path, w, format));
    } else {
      for (const auto& target : w.output.value_or(std::vector<std::string>{"stderr"})) {
        p.sinks.push_back(sink(target, w.prefix + ".output", format));
      }
    }
    return p;
  }

 private:
  static std::unique_ptr<spdlog::formatter> formatter(Format format) {
    switch (format) {
      case Format::kJson:
        return std::make_unique<JsonFormatter>();
      case Format::kRaw:
        return std::make_unique<spdlog::pattern_formatter>("%v");
      case Format::kColorConsole:
      case Format::kConsole:
        break;
    }
    return console_formatter(kConsolePattern);
  }

  // Same output and format → same sink, so channels writing to one file share one handle.
  spdlog::sink_ptr sink(const std::string& target, const std::string& path, Format format) {
    const std::string key = target + '\n' + std::to_string(static_cast<int>(format));
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    spdlog::sink_ptr s;
    const bool color = format == Format::kColorConsole;
    if (target == "stderr") {
      s = color ? spdlog::sink_ptr(std::make_shared<spdlog::sinks::stderr_color_sink_mt>())
                : spdlog::sink_ptr(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    } else if (target == "stdout") {
      s = color ? spdlog::sink_ptr(std::make_shared<spdlog::sinks::stdout_color_sink_mt>())
                : spdlog::sink_ptr(std::make_shared<spdlog::sinks::stdout_sink_mt>());
    } else {
      try {
        create_private(target);
        s = std::make_shared<spdlog::sinks::basic_file_sink_mt>(target, /*truncate=*/false);
      } catch (const spdlog::spdlog_ex& e) {
        throw cfg_.error_at(path, "cannot open log file \"" + target + "\": " + e.what());
      }
    }
    s->set_formatter(
        formatter(format == Format::kColorConsole && target != "stderr" && target != "stdout"
                      ? Format::kConsole
                      : format));
    cache_.emplace(key, s);
    return s;
  }

  spdlog::sink_ptr rotating(const std::string& file, const Written& w, Format format) {
    const std::string path = w.prefix + ".file_logger_options";
    const std::int64_t max_mb = w.file_max_size_mb.value_or(100);
    const std::int64_t backups = w.file_max_backups.value_or(0);
    if (max_mb <= 0) throw cfg_.error_at(path + ".max_size", "max_size (MB) must be positive");
    if (backups < 0) throw cfg_.error_at(path + ".max_backups", "max_backups must not be negative");
    const std::string key = "rotating\n" + file + '\n' + std::to_string(static_cast<int>(format));
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    spdlog::sink_ptr s;
    try {
      create_private(file);
      s = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          file, static_cast<std::size_t>(max_mb) * 1024 * 1024, static_cast<std::size_t>(backups));
    } catch (const spdlog::spdlog_ex& e) {
      throw cfg_.error_at(path + ".log_output",
                          "cannot open log file \"" + file + "\": " + e.what());
    }
    s->set_formatter(formatter(format == Format::kColorConsole ? Format::kConsole : format));
    cache_.emplace(key, s);
    return s;
  }

  const sdk::Config& cfg_;
  std::map<std::string, spdlog::sink_ptr> cache_;
};

}  // namespace

const config::Spec& logs_keys() { return kLogs; }

std::shared_ptr<spdlog::logger> get(std::string_view name) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (auto it = s.loggers.find(name); it != s.loggers.end()) return it->second.logger;
  Entry e;
  e.dist = std::make_shared<spdlog::sinks::dist_sink_mt>();
  e.logger = std::make_shared<spdlog::logger>(std::string(name), e.dist);
  // Written lines reach the file at once, as zap writes them: a crash must not eat the last ones.
  e.logger->flush_on(spdlog::level::trace);
  apply(e, profile_for(s, name));
  if (!spdlog::get(std::string(name))) spdlog::register_logger(e.logger);
  s.loggers.emplace(std::string(name), e);
  return e.logger;
}

void configure(const sdk::Config& cfg) {
  // Build everything first so that a bad value leaves the running configuration untouched.
  SinkFactory factory(cfg);
  const Written top = read_block(cfg, "logs");
  Profile base = factory.build(top);
  std::map<std::string, Profile, std::less<>> channels;
  for (const auto& name : cfg.keys("logs.channels")) {
    channels.emplace(name, factory.build(read_block(cfg, "logs.channels." + name).over(top)));
  }
  {
    State& s = state();
    std::lock_guard lock(s.mutex);
    s.base = std::move(base);
    s.channels = std::move(channels);
    for (auto& [name, entry] : s.loggers) apply(entry, profile_for(s, name));
  }
  spdlog::set_default_logger(get("coyote"));
}

void reset() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.base = default_profile();
  s.channels.clear();
  for (auto& [name, entry] : s.loggers) apply(entry, profile_for(s, name));
}

}  // namespace coyote::host::log
