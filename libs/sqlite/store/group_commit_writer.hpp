// GroupCommitWriter: the one thread that owns a SQLite store and commits everything submitted
// since its last commit in one durable transaction.
#pragma once

#include "sqlite/store/database.hpp"
#include "sqlite/store/store_error.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace coyote::sqlite {

/// One unit of work. The writer calls apply() inside a transaction, then exactly one of
/// committed() (the transaction is durable) or failed() (it was rolled back), all on its thread.
class Operation {
 public:
  virtual ~Operation() = default;
  /// Writes through `db`; throw StoreFailure to abort the whole transaction.
  virtual void apply(Database& db) = 0;
  virtual void committed() = 0;
  /// Return true to keep the operation for the next transaction (work that must eventually be
  /// written, such as an acknowledgement), false once it has reported the error itself (a push
  /// answers its producer).
  virtual bool failed(const StoreError& error) = 0;
  /// Urgent work (a producer waits for it) starts a commit at once. Other work (an
  /// acknowledgement: nobody waits, a crash only redelivers) may wait up to
  /// WriterOptions::lazy_delay or until lazy_limit() such operations gather, so that a steady
  /// trickle of acknowledgements shares commits instead of paying an fdatasync each.
  [[nodiscard]] virtual bool urgent() const noexcept { return true; }
};

/// The owner's part of every transaction and of the connection's life; all called on the
/// writer thread.
class WriterHooks {
 public:
  virtual ~WriterHooks() = default;
  /// The connection is open: create the schema, prepare statements, recover. Throw StoreFailure
  /// to close it again and retry later.
  virtual void opened(Database& db) = 0;
  /// The connection is about to close: drop prepared statements.
  virtual void closing() noexcept = 0;
  /// In every transaction after the operations (timers that came due, reservations).
  virtual void before_commit(Database& db) = 0;
  virtual void after_commit() = 0;
  virtual void after_rollback(const StoreError& error) noexcept = 0;
  /// When the writer should next run a transaction by itself (the earliest due time it knows).
  virtual std::optional<std::chrono::system_clock::time_point> next_wakeup() = 0;
};

enum class WriterLogLevel { kDebug, kInfo, kWarn, kError };

struct WriterOptions {
  OpenOptions open;
  /// Thread-safe sink for the writer's own lines (faults and recoveries).
  std::function<void(WriterLogLevel, std::string_view)> log;
  /// Back-off between attempts while a fault lasts (doubling from min to max).
  std::chrono::milliseconds retry_min{100};
  std::chrono::milliseconds retry_max{5000};
  /// A fault that lasts is logged again this often.
  std::chrono::seconds repeat_log{60};
  /// How long non-urgent operations may wait for company.
  std::chrono::microseconds lazy_delay{2000};
};

/// The writer opens the file on its own thread (and again after a fault that needs it), so
/// construction never blocks on the disk. Producers call submit() from any thread; submit
/// never blocks on I/O (a mutex and, when the writer sleeps, a wake-up).
///
/// Group commit: the writer takes every operation queued since its last commit, applies them in
/// one BEGIN IMMEDIATE..COMMIT, and only then reports them committed. While one commit waits for
/// its fdatasync, the next batch gathers; nothing waits on a timer to batch.
///
/// Faults: a failed transaction is rolled back; operations that want it are kept and retried
/// with back-off, the others are failed at once. Faults that leave the connection doubtful
/// (corruption, I/O errors, a missing directory) close it and reopen later. fault() tells the
/// current fault; the first success after one is logged as a recovery.
class GroupCommitWriter {
 public:
  /// The writer thread's name (at most 15 characters: the kernel's limit).
  static constexpr const char* kThreadName = "sqlite-writer";

  GroupCommitWriter(WriterOptions options, WriterHooks& hooks);
  /// stop(): flushes what is queued and joins.
  ~GroupCommitWriter();
  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;
  GroupCommitWriter(GroupCommitWriter&&) = delete;
  GroupCommitWriter& operator=(GroupCommitWriter&&) = delete;

  void start();
  void submit(std::unique_ptr<Operation> op);
  /// Run a transaction soon even when nothing is queued (the hooks have work: a resumed
  /// consumer, a new due time).
  void wake();
  /// Applied between transactions.
  void set_durability(Durability durability);
  /// How many non-urgent operations may wait before a commit starts anyway (at least 1). The
  /// owner sets it from what a delay costs (a consumer whose prefetch room is refilled by
  /// those acknowledgements must not starve).
  void set_lazy_limit(std::size_t limit);
  /// Writes what is queued (one attempt), then joins. Kept operations that still fail are
  /// dropped (and counted in the log line). Idempotent.
  void stop();

  /// Empty when healthy; else the current fault's text.
  [[nodiscard]] std::string fault() const;
  [[nodiscard]] bool is_open() const;
  [[nodiscard]] bool on_writer_thread() const noexcept {
    return std::this_thread::get_id() == thread_.get_id();
  }
  /// Transactions committed so far (for tests and stats).
  [[nodiscard]] std::uint64_t commits() const;

 private:
  using Ops = std::vector<std::unique_ptr<Operation>>;

  void run();
  bool try_open();
  void close() noexcept;
  void transact(Ops& ops);
  void fail_all(Ops& ops, const StoreError& error);
  void drop_kept();
  void enter_fault(const StoreError& error);
  void leave_fault();
  void log(WriterLogLevel level, const std::string& text) const;

  WriterOptions options_;
  WriterHooks& hooks_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  Ops queue_;
  std::size_t urgent_queued_ = 0;
  std::size_t lazy_queued_ = 0;
  std::size_t lazy_limit_ = 256;
  std::chrono::steady_clock::time_point lazy_since_{};
  bool woken_ = false;
  bool stopping_ = false;
  bool sleeping_ = false;
  std::optional<Durability> durability_change_;
  std::string fault_text_;
  bool open_ = false;
  std::uint64_t commits_ = 0;

  // Writer thread only.
  std::unique_ptr<Database> db_;
  Ops kept_;
  StoreError fault_;
  std::chrono::steady_clock::time_point retry_at_{};
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point fault_logged_at_{};
  std::uint64_t refused_since_fault_ = 0;
  bool reopen_check_ = false;  ///< reopening after corruption: verify the file first

  std::thread thread_;
};

}  // namespace coyote::sqlite
