// DeadLetterFile: the host's dead-letter stores kept in one SQLite file, written by a
// group-commit writer thread (coyote::sqlite_store) so that a dead job is durable before the
// job it replaces is acknowledged.
#pragma once

#include "jobs/dead_letters.hpp"

#include <sqlite/store/group_commit_writer.hpp>

#include <coyote/sdk/status.hpp>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace coyote::host::jobs {

/// One row of the file: a dead job and the store holding it.
struct StoredDeadJob {
  std::string store;
  DeadJob job;
};

/// The file is the truth; the DeadLetterOffice keeps a memory mirror of it for listing (loaded at
/// construction, updated as writes commit). Writes are queued to the writer thread (never
/// blocking the loop) and their `done` runs on the loop once the transaction holding them is
/// durable, or with the store's error (disk full, read-only, ...; the writer retries the file
/// with back-off and logs the fault and its recovery). Loop thread only, except the writer.
class DeadLetterFile final : public sqlite::WriterHooks {
 public:
  using Done = std::function<void(sdk::Status)>;

  /// Opens (creating with mode 0600) `path`, reads every dead job into `loaded` (oldest first)
  /// and starts the writer. The one blocking read is at startup. Throws std::runtime_error
  /// naming the file and what to do (not SQLite, another application's database, a sqlite
  /// driver's job file, locked by another process, unreadable).
  DeadLetterFile(boost::asio::io_context& io, const std::string& path, bool process_durability,
                 std::shared_ptr<spdlog::logger> log, std::vector<StoredDeadJob>& loaded);
  /// Writes what is queued (one attempt), then joins the writer. Later completions are dropped.
  ~DeadLetterFile() override;
  DeadLetterFile(const DeadLetterFile&) = delete;
  DeadLetterFile& operator=(const DeadLetterFile&) = delete;
  DeadLetterFile(DeadLetterFile&&) = delete;
  DeadLetterFile& operator=(DeadLetterFile&&) = delete;

  /// Inserts the dead job into `store`, replacing one with the same id there.
  void put(const std::string& store, const DeadJob& job, Done done);
  /// Removes a dead job; removing an absent one succeeds.
  void remove(const std::string& store, const std::string& id, Done done);

  /// Another host-side table in this file (the schedules' last fires): `apply` runs on the
  /// writer thread inside one of its transactions (it may read, create its table, write; throw
  /// sqlite::StoreFailure to fail it), `done` on the loop once that transaction is durable.
  void write(std::function<void(sqlite::Database&)> apply, Done done);

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  /// Empty when healthy; else the current fault's text (shown in jobs.Stat).
  [[nodiscard]] std::string fault() const { return writer_->fault(); }

 private:
  class Statements;

  // WriterHooks (writer thread; public only so the writer can hold a reference to them)
  void opened(sqlite::Database& db) override;
  void closing() noexcept override;
  void before_commit(sqlite::Database& /*db*/) override {}
  void after_commit() override {}
  void after_rollback(const sqlite::StoreError& /*error*/) noexcept override {}
  std::optional<std::chrono::system_clock::time_point> next_wakeup() override {
    return std::nullopt;
  }

  /// Runs `done(status)` on the loop unless the file is gone by then.
  [[nodiscard]] std::function<void(sdk::Status)> on_loop(Done done);

  boost::asio::io_context& io_;
  std::string path_;
  std::shared_ptr<spdlog::logger> log_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::unique_ptr<Statements> statements_;  // writer thread only
  std::unique_ptr<sqlite::GroupCommitWriter> writer_;
};

}  // namespace coyote::host::jobs
