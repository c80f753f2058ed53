// File checks made before SQLite touches a path: what the file is, and who holds its lock.
#pragma once

#include "sqlite/store/store_error.hpp"

#include <optional>
#include <string>

namespace coyote::sqlite {

enum class FileKind {
  kAbsent,      ///< nothing there yet: SQLite may create it
  kEmpty,       ///< zero bytes (created and never written): SQLite initialises it
  kSqlite,      ///< begins with "SQLite format 3\0"
  kBbolt,       ///< a bbolt (BoltDB) file, e.g. RoadRunner's boltdb driver's rr.db
  kOther,       ///< anything else
  kUnreadable,  ///< exists but cannot be read (the errno is in the error)
};

struct FileCheck {
  FileKind kind = FileKind::kAbsent;
  StoreError error;  ///< set for kBbolt, kOther and kUnreadable
};

/// Reads the first page of `path` (if it exists) and tells what it is. Never writes.
FileCheck inspect_file(const std::string& path);

/// The pid of a process holding a POSIX lock on SQLite's lock bytes of `path`, if any (another
/// process: a lock of our own does not show).
std::optional<long> lock_holder(const std::string& path);

}  // namespace coyote::sqlite
