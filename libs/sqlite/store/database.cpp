#include "sqlite/store/database.hpp"

#include "sqlite/store/file_check.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <mutex>
#include <system_error>
#include <utility>

namespace coyote::sqlite {

namespace {

/// Creates `path` with `mode` (the umask applies, as for bbolt's os.OpenFile) so that SQLite,
/// which would use 0644, inherits our permissions for the file and its -wal.
void create_file(const std::string& path, unsigned mode) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd >= 0) {
    ::close(fd);
    return;
  }
  if (errno == EEXIST) return;  // someone created it meanwhile: inspected again below
  throw StoreFailure(classify_errno(errno, path, "create"));
}

/// A -wal left where the database is gone (moved away after a fault, without its WAL) would be
/// replayed into the new, empty database: move it aside, keeping it.
void set_aside_orphaned_wal(const std::string& path) {
  const std::string wal = path + "-wal";
  if (::access(wal.c_str(), F_OK) != 0) return;
  const std::string aside = wal + ".orphaned." + std::to_string(::time(nullptr));
  if (::rename(wal.c_str(), aside.c_str()) != 0) {
    throw StoreFailure(StoreError{
        FaultKind::kOther, 0, errno,
        wal + " exists without its database " + path + " and cannot be moved aside (" +
            std::error_code(errno, std::generic_category()).message() + "): move it away"});
  }
}

/// Once per process, before SQLite initialises: no global memory statistics, whose mutex every
/// SQLite allocation otherwise takes (a measurable share of a commit's CPU). A no-op when
/// something else in the process initialised SQLite first.
void configure_library() {
  static std::once_flag once;
  std::call_once(once, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace

std::unique_ptr<Database> Database::open(const OpenOptions& options) {
  configure_library();
  const std::string& path = options.path;
  auto check = inspect_file(path);
  if (check.kind == FileKind::kAbsent) {
    set_aside_orphaned_wal(path);
    create_file(path, options.mode);
    check = inspect_file(path);
  }
  if (check.kind != FileKind::kAbsent && check.kind != FileKind::kEmpty &&
      check.kind != FileKind::kSqlite) {
    throw StoreFailure(check.error);
  }
  sqlite3* handle = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &handle,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  if (rc != SQLITE_OK) {
    auto error = classify_sqlite(rc, handle != nullptr ? sqlite3_system_errno(handle) : 0,
                                 handle != nullptr ? sqlite3_errmsg(handle) : sqlite3_errstr(rc),
                                 path, "open");
    sqlite3_close_v2(handle);
    throw StoreFailure(std::move(error));
  }
  std::unique_ptr<Database> db(new Database(handle, path));
  try {
    db->configure(options);
  } catch (const StoreFailure& failure) {
    if (failure.error().kind != FaultKind::kLocked) throw;
    // Name the holder, after closing: probing the lock opens and closes a descriptor of the
    // file, which would drop any POSIX lock this process held on it.
    db.reset();
    throw StoreFailure(locked_error(path, lock_holder(path).value_or(0)));
  }
  return db;
}

Database::~Database() {
  begin_ = Statement();
  commit_ = Statement();
  rollback_ = Statement();
  // Closing the last connection checkpoints the WAL into the database and removes it.
  sqlite3_close_v2(db_);
}

void Database::configure(const OpenOptions& options) {
  sqlite3_busy_timeout(db_, 0);
  if (sqlite3_db_readonly(db_, "main") == 1) {
    throw StoreFailure(classify_errno(EACCES, path_, "open for writing"));
  }
  exec("PRAGMA locking_mode=EXCLUSIVE");
  refuse_foreign();
  {
    auto mode = prepare("PRAGMA journal_mode=WAL");
    const bool row = mode.step();
    const std::string got = row ? std::string(mode.column_text(0)) : std::string();
    mode.reset();
    if (got != "wal") {
      throw StoreFailure(StoreError{FaultKind::kOther, 0, 0,
                                    "open " + path_ +
                                        ": SQLite refused WAL mode (journal mode is \"" + got +
                                        "\"); put the file on a local file system"});
    }
  }
  set_durability(options.durability);
  // 8 MiB of page cache: enough for the indexes' hot pages of a few million jobs.
  exec("PRAGMA temp_store=MEMORY; PRAGMA cache_size=-8192; PRAGMA journal_size_limit=67108864");
  begin_ = prepare("BEGIN IMMEDIATE");
  commit_ = prepare("COMMIT");
  rollback_ = prepare("ROLLBACK");
  // Take the exclusive lock now rather than at the first push: a second process learns at once.
  begin();
  commit();
}

void Database::refuse_foreign() {
  // Before the journal mode changes (which writes the header): another application's
  // database is never modified.
  auto tables = prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
      "ORDER BY name");
  std::string names;
  bool ours = false;
  while (tables.step()) {
    const std::string_view name = tables.column_text(0);
    if (name == kMetaTable) ours = true;
    if (!names.empty()) names += ", ";
    names += name;
  }
  tables.reset();
  if (!names.empty() && !ours) {
    throw StoreFailure(
        StoreError{FaultKind::kNotCoyote, 0, 0,
                   path_ + " is a SQLite database of another application (tables: " + names +
                       "); Coyote never writes into it: point `file` to a new path"});
  }
}

void Database::exec(const char* sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return;
  auto error = classify_sqlite(rc, sqlite3_system_errno(db_),
                               message != nullptr ? message : sqlite3_errstr(rc), path_, "write");
  sqlite3_free(message);
  throw StoreFailure(std::move(error));
}

Statement Database::prepare(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) fail(rc, "prepare");
  return {stmt, this};
}

void Database::set_durability(Durability durability) {
  exec(durability == Durability::kDisk ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
}

void Database::begin() { begin_.run(); }

void Database::commit() {
  try {
    commit_.run();
  } catch (const StoreFailure&) {
    rollback();
    throw;
  }
}

void Database::rollback() noexcept {
  if (sqlite3_get_autocommit(db_) != 0) return;  // SQLite already rolled back
  try {
    rollback_.run();
  } catch (const StoreFailure&) {
    // A failed ROLLBACK leaves nothing to do: SQLite rolls back on close at the latest.
  }
}

std::int64_t Database::changes() const noexcept { return sqlite3_changes64(db_); }

StoreError Database::error(int rc, std::string_view doing) const {
  return classify_sqlite(rc, sqlite3_system_errno(db_), sqlite3_errmsg(db_), path_, doing);
}

void Database::fail(int rc, std::string_view doing) const { throw StoreFailure(error(rc, doing)); }

}  // namespace coyote::sqlite
