#include "sqlite/file_registry.hpp"

#include "sqlite/store/file_check.hpp"

namespace coyote::drivers::sqlite {

std::shared_ptr<FileStore> FileRegistry::open(const std::string& path, unsigned mode,
                                              coyote::sqlite::Durability durability,
                                              sdk::Logger& log) {
  std::lock_guard lock(mutex_);
  auto& slot = stores_[path];
  if (auto store = slot.lock()) return store;
  // Only while no store of ours has the file open: reading it through another descriptor and
  // closing that would drop the POSIX locks SQLite holds on it for us.
  const auto check = coyote::sqlite::inspect_file(path);
  if (check.kind == coyote::sqlite::FileKind::kBbolt ||
      check.kind == coyote::sqlite::FileKind::kOther) {
    throw coyote::sqlite::StoreFailure(check.error);
  }
  auto store = std::make_shared<FileStore>(path, mode, durability, log);
  store->start();
  slot = store;
  return store;
}

}  // namespace coyote::drivers::sqlite
