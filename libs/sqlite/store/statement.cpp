#include "sqlite/store/statement.hpp"

#include "sqlite/store/database.hpp"

#include <sqlite3.h>

#include <utility>

namespace coyote::sqlite {

Statement::~Statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
  }
  return *this;
}

void Statement::check_bind(int rc) const {
  if (rc != SQLITE_OK) db_->fail(rc, "bind");
}

Statement& Statement::bind(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::bind_text(int index, std::string_view value) {
  check_bind(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8));
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view value) {
  // A zero-length blob with a null pointer would bind NULL: point it at something.
  const char* data = value.empty() ? "" : value.data();
  check_bind(sqlite3_bind_blob64(stmt_, index, data, value.size(), SQLITE_STATIC));
  return *this;
}

Statement& Statement::bind_null(int index) {
  check_bind(sqlite3_bind_null(stmt_, index));
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // The error must be read before reset() replaces it.
  auto error = db_->error(rc, "write");
  reset();
  throw StoreFailure(std::move(error));
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() noexcept {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::column_int(int index) const noexcept {
  return sqlite3_column_int64(stmt_, index);
}

std::string_view Statement::column_text(int index) const noexcept {
  const auto* p = sqlite3_column_text(stmt_, index);
  const int n = sqlite3_column_bytes(stmt_, index);
  return p == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(p), n);
}

std::string_view Statement::column_blob(int index) const noexcept {
  const void* p = sqlite3_column_blob(stmt_, index);
  const int n = sqlite3_column_bytes(stmt_, index);
  return p == nullptr ? std::string_view() : std::string_view(static_cast<const char*>(p), n);
}

bool Statement::column_is_null(int index) const noexcept {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

}  // namespace coyote::sqlite
