#include "schedule/fire_log.hpp"

#include <sqlite/store/database.hpp>
#include <sqlite/store/statement.hpp>

#include <memory>
#include <utility>

namespace coyote::host::schedule {
namespace {

constexpr const char* kCreate =
    "CREATE TABLE IF NOT EXISTS schedule_fires(name TEXT PRIMARY KEY, due_ms INTEGER, "
    "job_id TEXT NOT NULL, paused INTEGER NOT NULL, definition TEXT) WITHOUT ROWID";

}  // namespace

void FireLog::load(Loaded done) {
  auto rows = std::make_shared<std::vector<FireRecord>>();
  file_.write(
      [rows](sqlite::Database& db) {
        rows->clear();  // a retried transaction reads again
        db.exec(kCreate);
        auto select = db.prepare(
            "SELECT name, due_ms, job_id, paused, definition FROM schedule_fires ORDER BY name");
        while (select.step()) {
          FireRecord r;
          r.name = std::string(select.column_text(0));
          if (!select.column_is_null(1)) r.due_ms = select.column_int(1);
          r.job_id = std::string(select.column_text(2));
          r.paused = select.column_int(3) != 0;
          if (!select.column_is_null(4)) r.definition = std::string(select.column_text(4));
          rows->push_back(std::move(r));
        }
        select.reset();
      },
      [rows, done = std::move(done)](const sdk::Status& status) {
        if (!status) {
          done(status);
          return;
        }
        done(std::move(*rows));
      });
}

void FireLog::put(FireRecord record, Done done) {
  auto row = std::make_shared<FireRecord>(std::move(record));
  file_.write(
      [row](sqlite::Database& db) {
        db.exec(kCreate);
        auto insert = db.prepare(
            "INSERT OR REPLACE INTO schedule_fires(name, due_ms, job_id, paused, definition) "
            "VALUES(?1, ?2, ?3, ?4, ?5)");
        insert.bind_text(1, row->name);
        if (row->due_ms) {
          insert.bind(2, *row->due_ms);
        } else {
          insert.bind_null(2);
        }
        insert.bind_text(3, row->job_id).bind(4, row->paused ? 1 : 0);
        if (row->definition) {
          insert.bind_text(5, *row->definition);
        } else {
          insert.bind_null(5);
        }
        insert.run();
      },
      std::move(done));
}

void FireLog::remove(std::string name, Done done) {
  file_.write(
      [name = std::move(name)](sqlite::Database& db) {
        db.exec(kCreate);
        db.prepare("DELETE FROM schedule_fires WHERE name = ?1").bind_text(1, name).run();
      },
      std::move(done));
}

}  // namespace coyote::host::schedule
