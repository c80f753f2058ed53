// Statement: one prepared SQLite statement, reset after every use, failing by StoreFailure.
#pragma once

#include <cstdint>
#include <string_view>

struct sqlite3_stmt;

namespace coyote::sqlite {

class Database;

/// Owned by whoever prepared it; must be destroyed before its Database. Not thread-safe: a
/// statement lives on the thread that owns the connection (the writer).
class Statement {
 public:
  Statement() = default;
  Statement(sqlite3_stmt* stmt, const Database* db) noexcept : stmt_(stmt), db_(db) {}
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  /// Parameters are 1-based. Text and blobs are bound without copying: the bytes must stay
  /// valid until reset().
  Statement& bind(int index, std::int64_t value);
  Statement& bind_text(int index, std::string_view value);
  Statement& bind_blob(int index, std::string_view value);
  Statement& bind_null(int index);

  /// true: a row is available; false: done. Throws StoreFailure on an error.
  bool step();
  /// Steps to completion (for statements that return no rows) and resets.
  void run();
  /// Ready for the next use, bindings cleared.
  void reset() noexcept;

  /// Columns are 0-based; views stay valid until the next step() or reset().
  [[nodiscard]] std::int64_t column_int(int index) const noexcept;
  [[nodiscard]] std::string_view column_text(int index) const noexcept;
  [[nodiscard]] std::string_view column_blob(int index) const noexcept;
  [[nodiscard]] bool column_is_null(int index) const noexcept;

  [[nodiscard]] bool valid() const noexcept { return stmt_ != nullptr; }

 private:
  void check_bind(int rc) const;

  sqlite3_stmt* stmt_ = nullptr;
  const Database* db_ = nullptr;
};

}  // namespace coyote::sqlite
