// Test helpers for the worker pool: a map-backed Config, fixture commands, bounded loop runs.
#pragma once

#include "worker/executor.hpp"
#include "worker/pool_config.hpp"
#include "worker/worker_pool.hpp"

#include <coyote/sdk/config.hpp>

#include <boost/asio/io_context.hpp>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <unistd.h>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "log/log.hpp"

namespace coyote::test {

/// sdk::Config over "dotted.key" → "value" strings, enough for the pool keys.
class MapConfig final : public sdk::Config {
 public:
  MapConfig(std::initializer_list<std::pair<const std::string, std::string>> values)
      : values_(values) {}

  bool has(std::string_view path) const override {
    const std::string p(path);
    for (const auto& [k, v] : values_) {
      if (k == p || k.rfind(p + ".", 0) == 0) return true;
    }
    return false;
  }
  std::optional<std::string> string(std::string_view path) const override {
    auto it = values_.find(std::string(path));
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  std::optional<std::string> text(std::string_view path) const override { return string(path); }
  std::optional<std::int64_t> integer(std::string_view path) const override {
    auto s = string(path);
    if (!s) return std::nullopt;
    try {
      std::size_t used = 0;
      const auto v = std::stoll(*s, &used);
      if (used == s->size()) return v;
    } catch (const std::exception&) {
    }
    throw error_at(path, "must be an integer, got \"" + *s + "\"");
  }
  std::optional<double> number(std::string_view path) const override {
    auto s = string(path);
    if (!s) return std::nullopt;
    return std::stod(*s);
  }
  std::optional<bool> boolean(std::string_view path) const override {
    auto s = string(path);
    if (!s) return std::nullopt;
    if (*s == "true") return true;
    if (*s == "false") return false;
    throw error_at(path, "must be true or false");
  }
  std::optional<std::chrono::milliseconds> duration(std::string_view path) const override {
    auto s = string(path);
    if (!s) return std::nullopt;
    std::size_t used = 0;
    const auto n = std::stoll(*s, &used);
    const auto unit = s->substr(used);
    if (unit.empty() || unit == "s") return std::chrono::seconds(n);
    if (unit == "ms") return std::chrono::milliseconds(n);
    if (unit == "m") return std::chrono::minutes(n);
    throw error_at(path, "bad duration \"" + *s + "\"");
  }
  std::optional<std::vector<std::string>> strings(std::string_view path) const override {
    auto s = string(path);
    if (!s) return std::nullopt;
    return std::vector<std::string>{*s};
  }
  std::vector<std::string> keys(std::string_view path) const override {
    std::vector<std::string> out;
    std::set<std::string> seen;
    const std::string prefix = std::string(path) + ".";
    for (const auto& [k, v] : values_) {
      if (k.rfind(prefix, 0) != 0) continue;
      auto rest = k.substr(prefix.size());
      auto key = rest.substr(0, rest.find('.'));
      if (seen.insert(key).second) out.push_back(key);
    }
    return out;
  }
  sdk::ConfigError error_at(std::string_view path, const std::string& problem) const override {
    return sdk::ConfigError("test.yaml", 0, 0, std::string(path), problem);
  }

 private:
  std::map<std::string, std::string> values_;
};

inline std::string source_dir() {
  const char* dir = std::getenv("COYOTE_SOURCE_DIR");
  return dir != nullptr ? dir : COYOTE_TEST_SOURCE_DIR;
}

inline std::vector<std::string> misbehave(const std::string& mode, const std::string& file = {}) {
  std::vector<std::string> argv{"python3", source_dir() + "/tests/fixtures/workers/misbehave.py",
                                mode};
  if (!file.empty()) argv.push_back(file);
  return argv;
}

inline std::vector<std::string> python_worker() {
  return {"python3", source_dir() + "/examples/workers/worker.py"};
}

inline std::vector<std::string> php_worker() {
  return {"php", source_dir() + "/examples/workers/worker.php"};
}

/// Small, fast defaults for tests.
inline host::worker::PoolConfig test_pool(std::size_t workers = 1) {
  host::worker::PoolConfig c;
  c.num_workers = workers;
  c.allocate_timeout = std::chrono::seconds(5);
  c.stop_timeout = std::chrono::seconds(2);
  c.destroy_timeout = std::chrono::seconds(2);
  c.reset_timeout = std::chrono::seconds(5);
  return c;
}

inline host::worker::ServerConfig server(std::vector<std::string> argv) {
  host::worker::ServerConfig s;
  s.command = std::move(argv);
  return s;
}

/// Runs the loop until `done()` or the deadline; false on timeout.
inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io.restart();
    io.run_for(std::chrono::milliseconds(10));
  }
  return true;
}

/// Waits for a ready worker, runs one job and returns its outcome (nullopt on timeout).
inline std::optional<host::worker::ExecOutcome> exec_one(
    boost::asio::io_context& io, host::worker::WorkerPool& pool, std::string_view body,
    std::string_view context =
        R"({"id":"1","job":"t","driver":"memory","headers":{},"pipeline":"p"})",
    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  if (!run_until(
          io, [&] { return pool.ready_count() > 0; }, timeout))
    return std::nullopt;
  std::optional<host::worker::ExecOutcome> result;
  int calls = 0;
  if (!pool.try_exec(std::string(context), body, [&](host::worker::ExecOutcome o) {
        ++calls;
        result = std::move(o);
      })) {
    return std::nullopt;
  }
  if (!run_until(
          io, [&] { return calls > 0; }, timeout))
    return std::nullopt;
  return result;
}

/// Stops the pool and waits for every process to be gone.
inline bool stop_pool(boost::asio::io_context& io, host::worker::WorkerPool& pool) {
  bool stopped = false;
  pool.stop([&] { stopped = true; });
  return run_until(io, [&] { return stopped; });
}

/// Everything the "worker" logger printed since the last clear().
class LogCapture {
 public:
  LogCapture() {
    static std::once_flag once;
    std::call_once(once, [] {
      auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream());
      sink->set_pattern("%l %v");
      auto logger = host::log::get("worker");
      logger->sinks().push_back(sink);
      logger->set_level(spdlog::level::debug);
    });
    clear();
  }
  std::string text() const { return stream().str(); }
  void clear() { stream().str(""); }

 private:
  static std::ostringstream& stream() {
    static std::ostringstream s;
    return s;
  }
};

/// A temporary directory removed at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "coyote-worker-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace coyote::test
