// FileRegistry: one FileStore (one writer thread, one connection) per database file.
#pragma once

#include "sqlite/file_store.hpp"

#include <coyote/sdk/logger.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace coyote::drivers::sqlite {

/// Shared by the plugin's two driver names, so a sqlite and a boltdb pipeline on the same file
/// share its writer. Holds stores weakly: a store lives while a pipeline or a job uses it.
class FileRegistry {
 public:
  /// The store for `path` (absolute), started. A new store refuses an existing file that is
  /// not SQLite at once (throws coyote::sqlite::StoreFailure) and never touches it; other
  /// faults (locked, unwritable, corrupted) are the writer's to report and retry.
  std::shared_ptr<FileStore> open(const std::string& path, unsigned mode,
                                  coyote::sqlite::Durability durability, sdk::Logger& log);

 private:
  std::mutex mutex_;
  std::map<std::string, std::weak_ptr<FileStore>> stores_;
};

}  // namespace coyote::drivers::sqlite
