// StoreError: a SQLite or file-system failure of a durable store, classified, with what to do.
#pragma once

#include <exception>
#include <string>
#include <string_view>

namespace coyote::sqlite {

/// What went wrong, by what the operator has to do about it.
enum class FaultKind {
  kNone,
  kDiskFull,          ///< ENOSPC / SQLITE_FULL: free space
  kFileTooBig,        ///< EFBIG: the process's file size limit (RLIMIT_FSIZE)
  kReadOnly,          ///< EACCES / EROFS / SQLITE_READONLY: permissions or a read-only mount
  kMissingDirectory,  ///< ENOENT on the directory
  kLocked,            ///< another process holds the file's lock
  kCorrupt,           ///< SQLITE_CORRUPT / SQLITE_NOTADB after the header check
  kNotSqlite,         ///< an existing file that is not SQLite (bbolt, anything else): never touched
  kNotCoyote,         ///< a SQLite database of some other application: never touched
  kIo,                ///< any other I/O error
  kOther,
};

/// `text` is a whole sentence naming the file, what happened and what to do; it is what the log
/// line, the push's error reply and jobs.Stat's error field show.
struct StoreError {
  FaultKind kind = FaultKind::kNone;
  int code = 0;       ///< SQLite extended result code, 0 when the failure is not SQLite's
  int sys_errno = 0;  ///< errno behind it, 0 when unknown
  std::string text;

  [[nodiscard]] bool ok() const noexcept { return kind == FaultKind::kNone; }
  /// The connection cannot be trusted any more: close it and open the file again later.
  [[nodiscard]] bool needs_reopen() const noexcept {
    return kind == FaultKind::kCorrupt || kind == FaultKind::kNotSqlite ||
           kind == FaultKind::kNotCoyote || kind == FaultKind::kIo ||
           kind == FaultKind::kMissingDirectory;
  }
};

/// Classifies a failed SQLite call. `doing` says what was attempted ("commit", "open").
StoreError classify_sqlite(int code, int sys_errno, std::string_view sqlite_message,
                           const std::string& path, std::string_view doing);

/// Classifies a failed system call on `path`.
StoreError classify_errno(int sys_errno, const std::string& path, std::string_view doing);

/// The file lock on `path` is held by someone else; `holder_pid` 0 when unknown.
StoreError locked_error(const std::string& path, long holder_pid);

/// Thrown inside a store transaction: the transaction is rolled back as a whole, wherever the
/// failing statement was, which is exactly what unwinding to the commit point gives. Never
/// crosses the plugin boundary.
class StoreFailure : public std::exception {
 public:
  explicit StoreFailure(StoreError error) : error_(std::move(error)) {}
  [[nodiscard]] const char* what() const noexcept override { return error_.text.c_str(); }
  [[nodiscard]] const StoreError& error() const noexcept { return error_; }

 private:
  StoreError error_;
};

}  // namespace coyote::sqlite
