// Statements: the prepared SQL of the jobs schema (see FileStore for the tables).
#pragma once

#include "sqlite/store/database.hpp"
#include "sqlite/store/statement.hpp"

#include <cstddef>
#include <string>

namespace coyote::drivers::sqlite {

/// Row states in jobs.state.
inline constexpr int kReady = 0;
inline constexpr int kReserved = 1;
inline constexpr int kDelayed = 2;

/// Rows per multi-row INSERT, and columns per row.
inline constexpr std::size_t kInsertRows = 32;
inline constexpr std::size_t kInsertColumns = 10;

/// "INSERT INTO jobs(...) VALUES (?1, ..., ?10), (?11, ...), ..." for `rows` rows.
inline std::string insert_sql(std::size_t rows) {
  std::string sql =
      "INSERT INTO jobs(seq, queue, state, priority, due, attempt, id, name, headers, payload) "
      "VALUES ";
  for (std::size_t r = 0; r < rows; ++r) {
    if (r != 0) sql += ", ";
    sql += "(";
    for (std::size_t c = 0; c < kInsertColumns; ++c) {
      if (c != 0) sql += ", ";
      sql += "?" + std::to_string(r * kInsertColumns + c + 1);
    }
    sql += ")";
  }
  return sql;
}

struct Statements {
  explicit Statements(coyote::sqlite::Database& db)
      : insert(db.prepare(insert_sql(1).c_str())),
        insert_many(db.prepare(insert_sql(kInsertRows).c_str())),
        remove(db.prepare("DELETE FROM jobs WHERE seq = ?1 AND state = 1")),
        put_back(db.prepare("UPDATE jobs SET state = ?2, due = ?3 WHERE seq = ?1 AND state = 1")),
        requeue(db.prepare("UPDATE jobs SET seq = ?2, state = ?3, due = ?4, attempt = ?5, "
                           "headers = ?6 WHERE seq = ?1 AND state = 1")),
        // The literal state = 0 selects the partial index; ORDER BY follows it (no sort).
        select_ready(db.prepare("SELECT seq, priority, attempt, id, name, headers, payload FROM "
                                "jobs WHERE queue = ?1 AND state = 0 ORDER BY priority, seq "
                                "LIMIT ?2")),
        reserve(db.prepare("UPDATE jobs SET state = 1 WHERE seq = ?1")),
        select_due(db.prepare("SELECT seq, queue FROM jobs WHERE state = 2 AND due <= ?1 "
                              "ORDER BY due LIMIT ?2")),
        promote(db.prepare("UPDATE jobs SET state = 0, due = 0 WHERE seq = ?1")),
        min_due(db.prepare("SELECT min(due) FROM jobs WHERE state = 2")),
        queue_insert(db.prepare("INSERT OR IGNORE INTO queues(name) VALUES(?1)")),
        queue_id(db.prepare("SELECT id FROM queues WHERE name = ?1")),
        counts(db.prepare("SELECT state, count(*) FROM jobs WHERE queue = ?1 GROUP BY state")) {}

  coyote::sqlite::Statement insert;
  coyote::sqlite::Statement insert_many;
  coyote::sqlite::Statement remove;
  coyote::sqlite::Statement put_back;
  coyote::sqlite::Statement requeue;
  coyote::sqlite::Statement select_ready;
  coyote::sqlite::Statement reserve;
  coyote::sqlite::Statement select_due;
  coyote::sqlite::Statement promote;
  coyote::sqlite::Statement min_due;
  coyote::sqlite::Statement queue_insert;
  coyote::sqlite::Statement queue_id;
  coyote::sqlite::Statement counts;
};

}  // namespace coyote::drivers::sqlite
