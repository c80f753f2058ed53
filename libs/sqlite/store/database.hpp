// Database: one SQLite connection configured for a durable single-writer store.
#pragma once

#include "sqlite/store/statement.hpp"
#include "sqlite/store/store_error.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct sqlite3;

namespace coyote::sqlite {

/// How far a commit is durable when the writer reports it.
enum class Durability {
  /// synchronous=FULL: the WAL is fdatasync'ed at every commit; survives power loss.
  kDisk,
  /// synchronous=NORMAL: the WAL is synced only at checkpoints; survives kill -9 of the process
  /// (the OS has the data), not a power loss or kernel crash (the last commits roll back; the
  /// database stays consistent).
  kProcess,
};

struct OpenOptions {
  std::string path;
  unsigned mode = 0600;  ///< permission bits when the file is created (the umask applies)
  Durability durability = Durability::kDisk;
};

/// The table every Coyote store creates first: a database with tables but without it belongs to
/// another application and is refused.
inline constexpr std::string_view kMetaTable = "coyote_meta";

/// WAL journal, EXCLUSIVE locking mode (the lock is taken at open and kept: a second process
/// gets kLocked, and no -shm file is needed), no busy wait. Use it from one thread only.
class Database {
 public:
  /// Refuses an existing file that is not SQLite, or a SQLite database of another application
  /// (never touching either), creates an absent one
  /// with `mode`, configures the connection and takes the lock. Throws StoreFailure.
  static std::unique_ptr<Database> open(const OpenOptions& options);

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  Database(Database&&) = delete;
  Database& operator=(Database&&) = delete;

  /// Runs one or more statements without results. Throws StoreFailure.
  void exec(const char* sql);
  /// Throws StoreFailure.
  Statement prepare(const char* sql);
  void set_durability(Durability durability);

  void begin();              ///< BEGIN IMMEDIATE
  void commit();             ///< COMMIT; throws StoreFailure (the transaction is then rolled back)
  void rollback() noexcept;  ///< ROLLBACK if a transaction is open

  [[nodiscard]] std::int64_t changes() const noexcept;
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] sqlite3* handle() const noexcept { return db_; }

  /// The StoreError for the connection's last failure with result code `rc`.
  [[nodiscard]] StoreError error(int rc, std::string_view doing) const;
  [[noreturn]] void fail(int rc, std::string_view doing) const;

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  void configure(const OpenOptions& options);
  void refuse_foreign();

  sqlite3* db_;
  std::string path_;
  Statement begin_;
  Statement commit_;
  Statement rollback_;
};

}  // namespace coyote::sqlite
