#include "sqlite/store/store_error.hpp"

#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace coyote::sqlite {

namespace {

std::string directory_of(const std::string& path) {
  auto dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? std::string(".") : dir;
}

std::string errno_text(int e) {
  return e == 0 ? std::string() : std::error_code(e, std::generic_category()).message();
}

StoreError make(FaultKind kind, int code, int sys_errno, std::string text) {
  return StoreError{kind, code, sys_errno, std::move(text)};
}

/// The sentence for a kind; `detail` is what the system or SQLite said.
StoreError by_kind(FaultKind kind, int code, int sys_errno, const std::string& path,
                   std::string_view doing, const std::string& detail) {
  const std::string what = std::string(doing) + " " + path + " failed (" + detail + "): ";
  switch (kind) {
    case FaultKind::kDiskFull:
      return make(kind, code, sys_errno,
                  what +
                      "the file system holding it is full; free space there. Pushes are "
                      "refused meanwhile; acknowledgements are kept and written once there "
                      "is room");
    case FaultKind::kFileTooBig:
      return make(kind, code, sys_errno,
                  what +
                      "the process's file size limit is reached (ulimit -f / RLIMIT_FSIZE); "
                      "raise it for the user Coyote runs as");
    case FaultKind::kReadOnly:
      return make(kind, code, sys_errno,
                  what + "make " + directory_of(path) + " and the file writable by uid " +
                      std::to_string(::getuid()) +
                      " (SQLite also creates FILE-wal next to it), or point `file` elsewhere");
    case FaultKind::kMissingDirectory:
      return make(kind, code, sys_errno,
                  what + "directory " + directory_of(path) +
                      " does not exist; create it or point `file` elsewhere");
    case FaultKind::kCorrupt:
      return make(kind, code, sys_errno,
                  what +
                      "the database is corrupted; stop Coyote and restore the file from a "
                      "backup, or move it away with its -wal file (a new empty store is then "
                      "created; the jobs in the old file are not delivered)");
    case FaultKind::kIo:
      return make(kind, code, sys_errno,
                  what + "an I/O error; check the disk and the kernel log (dmesg)");
    default:
      return make(kind, code, sys_errno, what + "see the SQLite error above");
  }
}

/// The process's file size limit is set and the database or its WAL is within a page or so
/// of it.
bool at_size_limit(const std::string& path) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_FSIZE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return false;
  constexpr std::uintmax_t kSlack = std::uintmax_t{128} * 1024;
  for (const auto& file : {path, path + "-wal"}) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (!ec && size + kSlack >= static_cast<std::uintmax_t>(limit.rlim_cur)) return true;
  }
  return false;
}

}  // namespace

StoreError classify_errno(int sys_errno, const std::string& path, std::string_view doing) {
  FaultKind kind = FaultKind::kIo;
  switch (sys_errno) {
    case ENOSPC:
    case EDQUOT:
      kind = FaultKind::kDiskFull;
      break;
    case EFBIG:
      kind = FaultKind::kFileTooBig;
      break;
    case EACCES:
    case EPERM:
    case EROFS:
      kind = FaultKind::kReadOnly;
      break;
    case ENOENT:
    case ENOTDIR:
      kind = FaultKind::kMissingDirectory;
      break;
    case EISDIR:
      return make(FaultKind::kOther, 0, sys_errno,
                  std::string(doing) + " " + path +
                      " failed: it is a directory; `file` must name a file (e.g. " + path +
                      "/jobs.db)");
    default:
      break;
  }
  return by_kind(kind, 0, sys_errno, path, doing, errno_text(sys_errno));
}

StoreError locked_error(const std::string& path, long holder_pid) {
  std::string who = holder_pid > 0 ? "process " + std::to_string(holder_pid) : "another process";
  if (holder_pid > 0 && holder_pid == static_cast<long>(::getpid())) {
    who = "this process (a store on this file is still closing)";
  }
  return make(FaultKind::kLocked, SQLITE_BUSY, 0,
              path + " is locked by " + who +
                  ": a second Coyote (or a sqlite3 shell) is using the same `file`. One process "
                  "owns a store at a time; stop the other one or give this pipeline its own "
                  "file. Retrying until the lock is free");
}

StoreError classify_sqlite(int code, int sys_errno, std::string_view sqlite_message,
                           const std::string& path, std::string_view doing) {
  const int primary = code & 0xff;
  std::string detail = std::string(sqlite_message);
  if (sys_errno != 0) detail += ", " + errno_text(sys_errno);
  switch (primary) {
    case SQLITE_FULL:
      return by_kind(FaultKind::kDiskFull, code, sys_errno, path, doing, detail);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return by_kind(FaultKind::kReadOnly, code, sys_errno, path, doing, detail);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return locked_error(path, 0);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return by_kind(FaultKind::kCorrupt, code, sys_errno, path, doing, detail);
    case SQLITE_IOERR:
      // SQLite reports the errno of its last call, often not the failed write's: a write
      // past the file size limit (EFBIG) shows as a bare I/O error. Recognise it by the limit.
      if ((sys_errno == 0 || sys_errno == EFBIG) && at_size_limit(path)) {
        return by_kind(FaultKind::kFileTooBig, code, EFBIG, path, doing, detail);
      }
      [[fallthrough]];
    case SQLITE_CANTOPEN:
      // The errno says more than SQLite's generic code: ENOSPC, EFBIG and EACCES surface here.
      if (sys_errno != 0) {
        auto e = classify_errno(sys_errno, path, doing);
        e.code = code;
        if (e.kind != FaultKind::kIo && e.kind != FaultKind::kOther) return e;
      }
      return by_kind(primary == SQLITE_CANTOPEN ? FaultKind::kReadOnly : FaultKind::kIo, code,
                     sys_errno, path, doing, detail);
    default:
      return by_kind(FaultKind::kOther, code, sys_errno, path, doing, detail);
  }
}

}  // namespace coyote::sqlite
