// FileStore: one SQLite job file, its group-commit writer, and the pipelines that use it.
#pragma once

#include "sqlite/pipeline_core.hpp"
#include "sqlite/store/group_commit_writer.hpp"

#include <coyote/sdk/logger.hpp>
#include <coyote/sdk/queue.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace coyote::drivers::sqlite {

/// Prepared statements of the jobs schema; they live while the connection is open.
struct Statements;

/// The tables (one file holds many pipelines, each a `queue` id):
///   jobs(seq INTEGER PRIMARY KEY, queue, state, priority, due, attempt, id, name, headers,
///        payload) -- seq is FIFO order; state 0 ready, 1 reserved, 2 delayed (due = Unix ms)
///   queues(id, name), coyote_meta(key, value) -- format, schema version, store id
/// Ready rows are found through a partial index on (queue, priority, seq) and due rows through
/// one on (due), so a consumer never scans and a delayed job costs one index entry, no timer.
///
/// Threads: the host's thread (attach, the cores' host-side methods) and the writer's (every
/// SQL statement). The writer holds no reference that keeps the store alive and never drops
/// the last one: drivers and jobs (destroyed on the host thread) own the store through their
/// cores, and the store's destructor writes what is queued and joins the writer.
class FileStore final : public coyote::sqlite::WriterHooks,
                        public std::enable_shared_from_this<FileStore> {
 public:
  FileStore(std::string path, unsigned mode, coyote::sqlite::Durability durability,
            sdk::Logger& log);
  ~FileStore() override;
  FileStore(const FileStore&) = delete;
  FileStore& operator=(const FileStore&) = delete;
  FileStore(FileStore&&) = delete;
  FileStore& operator=(FileStore&&) = delete;

  void start();
  /// The pipeline `name`'s core, created or revived. Throws std::invalid_argument when a live
  /// pipeline of that name already uses this file.
  std::shared_ptr<PipelineCore> attach(const std::string& name, const CoreSettings& settings,
                                       sdk::Queue& queue, std::uint64_t& lease);
  /// A file is as durable as the most durable pipeline using it.
  void require_durability(coyote::sqlite::Durability durability, const std::string& pipeline);

  void submit(std::unique_ptr<coyote::sqlite::Operation> op) { writer_.submit(std::move(op)); }
  /// A pipeline started or stopped consuming: acknowledgements may wait for company only as
  /// long as the smallest consuming prefetch allows (a quarter of it) without starving it.
  void consumers_changed();
  void wake() { writer_.wake(); }
  [[nodiscard]] std::string fault() const { return writer_.fault(); }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] sdk::Logger& logger() noexcept { return log_; }
  [[nodiscard]] std::uint64_t commits() const { return writer_.commits(); }

  // ---- writer thread ------------------------------------------------------------------------
  [[nodiscard]] Statements& statements() noexcept { return *statements_; }
  std::int64_t next_seq() noexcept { return next_seq_++; }
  /// Jobs handed out carry it; acknowledgements from an older generation (the file was
  /// replaced after a fault) do not touch the new file.
  [[nodiscard]] std::uint64_t generation() const noexcept {
    return generation_.load(std::memory_order_relaxed);
  }
  /// A delayed row was written in this transaction.
  void note_due(std::int64_t due_ms);

  // ---- WriterHooks ---------------------------------------------------------------------------
  void opened(coyote::sqlite::Database& db) override;
  void closing() noexcept override;
  void before_commit(coyote::sqlite::Database& db) override;
  void after_commit() override;
  void after_rollback(const coyote::sqlite::StoreError& error) noexcept override;
  std::optional<std::chrono::system_clock::time_point> next_wakeup() override;

  /// Called by a core the first time it changes in a transaction.
  void touched(PipelineCore& core) { touched_.push_back(&core); }

 private:
  static void create_schema(coyote::sqlite::Database& db);
  void promote_due(coyote::sqlite::Database& db);
  std::vector<PipelineCore*> cores();
  static PipelineCore* core_of_queue(const std::vector<PipelineCore*>& cores,
                                     std::int64_t queue_id);

  const std::string path_;
  sdk::Logger& log_;
  coyote::sqlite::GroupCommitWriter writer_;

  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<PipelineCore>, std::less<>> cores_;
  coyote::sqlite::Durability durability_;
  std::string durability_owner_;

  // Writer thread only.
  std::unique_ptr<Statements> statements_;
  std::int64_t next_seq_ = 1;
  std::optional<std::int64_t> next_due_;     ///< earliest due time of a delayed row (Unix ms)
  std::optional<std::int64_t> tx_next_due_;  ///< the same, as the open transaction leaves it
  bool tx_due_changed_ = false;
  std::string store_id_;
  std::vector<PipelineCore*> touched_;
  std::atomic<std::uint64_t> generation_{1};
};

}  // namespace coyote::drivers::sqlite
