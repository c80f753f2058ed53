#include "jobs/result_file.hpp"

#include <sqlite/store/database.hpp>
#include <sqlite/store/statement.hpp>
#include <sqlite/store/store_error.hpp>

#include <functional>
#include <memory>
#include <string>
#include <utility>

namespace coyote::host::jobs {
namespace {

// seq orders the rows by write (a replaced row gets a new one), which is the eviction order;
// the stamp index serves the ttl sweep.
constexpr const char* kCreate =
    "CREATE TABLE IF NOT EXISTS job_results(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, "
    "pipeline TEXT NOT NULL, state TEXT NOT NULL, result TEXT NOT NULL, error TEXT NOT NULL, "
    "attempts INTEGER NOT NULL, progress TEXT NOT NULL, finished_ms INTEGER NOT NULL, "
    "progressed_ms INTEGER NOT NULL, stamp_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS job_results_stamp ON job_results(stamp_ms);";

std::chrono::system_clock::time_point from_ms(std::int64_t ms) {
  return std::chrono::system_clock::time_point{std::chrono::milliseconds{ms}};
}

std::optional<JobResult::State> state_from(std::string_view text) {
  if (text == "running") return JobResult::State::kRunning;
  if (text == "succeeded") return JobResult::State::kSucceeded;
  if (text == "failed") return JobResult::State::kFailed;
  return std::nullopt;
}

void delete_old(sqlite::Database& db, const ResultSweep& s) {
  db.prepare("DELETE FROM job_results WHERE stamp_ms <= ?1").bind(1, s.cutoff_ms).run();
  const auto limit = static_cast<std::int64_t>(s.max_entries);
  // The max_entries-th newest of each kind stays, everything older goes (none when fewer).
  db.prepare(
        "DELETE FROM job_results WHERE state != 'running' AND seq < (SELECT seq FROM job_results "
        "WHERE state != 'running' ORDER BY seq DESC LIMIT 1 OFFSET ?1 - 1)")
      .bind(1, limit)
      .run();
  db.prepare(
        "DELETE FROM job_results WHERE state = 'running' AND seq < (SELECT seq FROM job_results "
        "WHERE state = 'running' ORDER BY seq DESC LIMIT 1 OFFSET ?1 - 1)")
      .bind(1, limit)
      .run();
}

/// Runs `body` inside a savepoint: a fault of this table alone (a table of another shape, a
/// constraint) is rolled back alone and reported in `error`, so the dead letters and schedule
/// fires sharing the transaction still commit. A fault that ends the transaction (disk full,
/// I/O) makes the rollback throw, and the writer fails the whole transaction as before.
template <typename Body>
void isolated(sqlite::Database& db, std::string& error, Body&& body) {
  error.clear();  // a retried transaction applies again
  db.exec("SAVEPOINT job_results");
  try {
    body();
  } catch (const sqlite::StoreFailure& e) {
    db.exec("ROLLBACK TO job_results");
    db.exec("RELEASE job_results");
    error = e.error().text;
    return;
  }
  db.exec("RELEASE job_results");
}

/// The writer's status, or the table's own fault caught by isolated().
std::function<void(sdk::Status)> reporting(std::shared_ptr<std::string> error,
                                           std::function<void(sdk::Status)> done) {
  return [error = std::move(error), done = std::move(done)](const sdk::Status& status) {
    if (status && !error->empty()) {
      done(sdk::Status::error(*error));
      return;
    }
    done(status);
  };
}

}  // namespace

std::int64_t unix_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

void ResultFile::load(ResultSweep sweep, Loaded done) {
  auto rows = std::make_shared<std::vector<JobResult>>();
  auto error = std::make_shared<std::string>();
  file_.write(
      [rows, sweep, error](sqlite::Database& db) {
        rows->clear();  // a retried transaction reads again
        isolated(db, *error, [&] {
          db.exec(kCreate);
          delete_old(db, sweep);
          auto select = db.prepare(
              "SELECT id, pipeline, state, result, error, attempts, progress, finished_ms, "
              "progressed_ms FROM job_results ORDER BY seq");
          while (select.step()) {
            const auto state = state_from(select.column_text(2));
            if (!state) continue;  // not written by this version: left alone, swept by age
            JobResult r;
            r.id = std::string(select.column_text(0));
            r.pipeline = std::string(select.column_text(1));
            r.state = *state;
            r.result = std::string(select.column_text(3));
            r.error = std::string(select.column_text(4));
            r.attempts = select.column_int(5);
            r.progress = std::string(select.column_text(6));
            if (const auto ms = select.column_int(7); ms != 0) r.finished = from_ms(ms);
            if (const auto ms = select.column_int(8); ms != 0) r.progressed = from_ms(ms);
            rows->push_back(std::move(r));
          }
          select.reset();
        });
      },
      reporting(error, [rows, done = std::move(done)](const sdk::Status& status) {
        if (!status) {
          done(status);
          return;
        }
        done(std::move(*rows));
      }));
}

void ResultFile::put(std::shared_ptr<std::vector<JobResult>> batch,
                     std::optional<ResultSweep> sweep, Done done) {
  auto error = std::make_shared<std::string>();
  file_.write(
      [batch = std::move(batch), sweep, error](sqlite::Database& db) {
        isolated(db, *error, [&] {
          db.exec(kCreate);
          auto insert = db.prepare(
              "INSERT OR REPLACE INTO job_results(id, pipeline, state, result, error, attempts, "
              "progress, finished_ms, progressed_ms, stamp_ms) "
              "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
          for (const JobResult& r : *batch) {
            const bool running = r.state == JobResult::State::kRunning;
            insert.bind_text(1, r.id)
                .bind_text(2, r.pipeline)
                .bind_text(3, state_name(r.state))
                .bind_text(4, r.result)
                .bind_text(5, r.error)
                .bind(6, r.attempts)
                .bind_text(7, r.progress)
                .bind(8, unix_ms(r.finished))
                .bind(9, unix_ms(r.progressed))
                .bind(10, unix_ms(running ? r.progressed : r.finished))
                .run();
          }
          if (sweep) delete_old(db, *sweep);
        });
      },
      reporting(error, std::move(done)));
}

}  // namespace coyote::host::jobs
