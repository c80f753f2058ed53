// Test helpers for the worker pool: fixture commands, small pool settings, one-job runs.
#pragma once

#include "worker/job_executor.hpp"
#include "worker/pool_config.hpp"
#include "worker/worker_pool.hpp"

#include "support/map_config.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include "log/log.hpp"

#include <boost/asio/io_context.hpp>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace coyote::test {

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

}  // namespace coyote::test
