// Test rig for the sqlite driver: real files in a temporary directory, a real host queue, child
// processes for crashes and for faults that need their own limits or mounts.
#pragma once

#include "jobs/priority_queue.hpp"
#include "sqlite/sqlite_driver.hpp"
#include "sqlite/store/group_commit_writer.hpp"
#include "support/map_config.hpp"
#include "support/push_now.hpp"
#include "support/temp_dir.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace coyote::test::sqlite {

namespace sdk = coyote::sdk;
namespace drv = coyote::drivers::sqlite;

/// Keeps every line (the writer logs from its own thread).
class CapturingLogger final : public sdk::Logger {
 public:
  void log(sdk::LogLevel, std::string_view message) override {
    std::lock_guard lock(mutex_);
    lines_.emplace_back(message);
  }
  [[nodiscard]] bool enabled(sdk::LogLevel) const override { return true; }
  bool contains(std::string_view text) {
    std::lock_guard lock(mutex_);
    for (const auto& line : lines_) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }
  std::string all() {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& line : lines_) out += line + "\n";
    return out;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

/// Polls `pred` until it holds or `timeout` passes (the writer works on its own thread).
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{2});
  }
  return true;
}

inline sdk::Message job(std::string id, std::int64_t priority = 0, std::int64_t delay = 0,
                        std::string payload = "body") {
  sdk::Message m;
  m.id = std::move(id);
  m.name = "t";
  m.payload = std::move(payload);
  m.options.priority = priority;
  m.options.delay_seconds = delay;
  return m;
}

/// Ends a child at once, as a kill -9 would: no destructor runs, nothing is flushed.
[[noreturn]] inline void crash(int code = 0) { ::_exit(code); }

/// Runs `body` in a forked child and returns its exit code (or 128 + signal). A body that
/// returns runs its destructors (a graceful end); one that must die mid-work calls crash().
inline int in_child(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int rc = 1;
    try {
      rc = body();
    } catch (...) {
      rc = 99;
    }
    ::_exit(rc);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

/// A host queue, both driver names on one registry, in a temporary directory.
struct Rig {
  explicit Rig(std::filesystem::path directory, std::size_t capacity = 100000)
      : dir(std::move(directory)),
        queue(io, capacity),
        registry(std::make_shared<drv::FileRegistry>()),
        sqlite(drv::kSqliteFlavor, registry, config, logger),
        boltdb(drv::kBoltdbFlavor, registry, config, logger) {}

  [[nodiscard]] std::string file(const std::string& name = "jobs.db") const {
    return (dir / name).string();
  }

  /// A declared sqlite pipeline on `file` (options as strings, like jobs.Declare).
  std::unique_ptr<sdk::Driver> declare(const std::string& name, sdk::Pipeline::Options options,
                                       std::int64_t priority = 10) {
    if (options.find("file") == options.end()) options["file"] = file();
    return sqlite.from_pipeline(sdk::Pipeline(name, "sqlite", priority, std::move(options)), queue);
  }

  /// Waits for `n` jobs in the host queue and takes them, in dispatch order.
  std::vector<std::unique_ptr<sdk::Job>> take(std::size_t n) {
    std::vector<std::unique_ptr<sdk::Job>> out;
    (void)eventually([&] {
      while (auto taken = queue.take()) out.push_back(std::move(taken->job));
      return out.size() >= n;
    });
    return out;
  }

  std::filesystem::path dir;
  coyote::test::MapConfig config;
  CapturingLogger logger;
  boost::asio::io_context io;
  coyote::host::jobs::PriorityQueue queue;
  std::shared_ptr<drv::FileRegistry> registry;
  drv::SqliteConstructor sqlite;
  drv::SqliteConstructor boltdb;
};

inline std::vector<std::string> ids(const std::vector<std::unique_ptr<sdk::Job>>& jobs) {
  std::vector<std::string> out;
  out.reserve(jobs.size());
  for (const auto& j : jobs) out.push_back(j->id());
  return out;
}

/// Writer threads of this process, by name: a sanitizer runtime starts threads of its own.
inline std::size_t thread_count() {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(e.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name == coyote::sqlite::GroupCommitWriter::kThreadName) ++n;
  }
  return n;
}

}  // namespace coyote::test::sqlite
