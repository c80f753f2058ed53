#include "schedule/durable_keys.hpp"

#include "sqlite/headers_codec.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <string>

namespace coyote::host::schedule {
namespace {

/// The sqlite driver's defaults (plugins/sqlite/driver_options.hpp).
std::string default_file(const std::string& driver) {
  return driver == "boltdb" ? "rr.db" : "coyote.db";
}

std::size_t adopt_file(const std::string& path, const std::string& pipeline, jobs::UniqueKeys& keys,
                       const std::shared_ptr<spdlog::logger>& log) {
  sqlite3* db = nullptr;
  // Never created here: a missing file simply holds no jobs.
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    log->warn("unique keys: cannot open {} to rebuild the keys of pipeline {}: {}", path, pipeline,
              db != nullptr ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return 0;
  }
  sqlite3_busy_timeout(db, 1000);
  sqlite3_stmt* stmt = nullptr;
  const char* sql =
      "SELECT jobs.id, jobs.headers FROM jobs JOIN queues ON queues.id = jobs.queue "
      "WHERE queues.name = ?1 AND jobs.headers IS NOT NULL";
  std::size_t adopted = 0;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    // No jobs table yet (a new file) is not a fault.
    log->debug("unique keys: {} has no jobs to rebuild keys from ({})", path, sqlite3_errmsg(db));
    sqlite3_close(db);
    return 0;
  }
  sqlite3_bind_text(stmt, 1, pipeline.data(), static_cast<int>(pipeline.size()), SQLITE_STATIC);
  const auto now = jobs::UniqueKeys::Clock::now();
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const auto* id = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    const auto* blob = static_cast<const char*>(sqlite3_column_blob(stmt, 1));
    const int size = sqlite3_column_bytes(stmt, 1);
    sdk::Headers headers;
    if (id == nullptr || blob == nullptr ||
        !drivers::sqlite::decode_headers(std::string_view(blob, static_cast<std::size_t>(size)),
                                         headers)) {
      continue;  // the driver reports damaged rows itself
    }
    const std::size_t before = keys.held();
    keys.adopt(pipeline, id, headers, now);
    adopted += keys.held() - before;
  }
  if (rc != SQLITE_DONE) {
    log->warn("unique keys: reading {} stopped early: {}", path, sqlite3_errmsg(db));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return adopted;
}

}  // namespace

std::size_t adopt_durable_keys(const sdk::Config& config, jobs::UniqueKeys& keys,
                               const std::shared_ptr<spdlog::logger>& log) {
  std::size_t adopted = 0;
  for (const auto& name : config.keys("jobs.pipelines")) {
    const std::string base = "jobs.pipelines." + name;
    const std::string driver = config.string(base + ".driver").value_or(std::string());
    if (driver != "sqlite" && driver != "boltdb") continue;
    // Where the driver looks (sqlite_driver.cpp): the config section first, then the pipeline.
    std::string file = config.text(base + ".config.file")
                           .value_or(config.text(base + ".file").value_or(std::string()));
    if (file.empty()) file = default_file(driver);
    std::error_code ec;
    const auto path = std::filesystem::absolute(file, ec).lexically_normal();
    if (ec || !std::filesystem::exists(path, ec)) continue;
    const std::size_t n = adopt_file(path.string(), name, keys, log);
    if (n > 0)
      log->info("unique keys: {} key(s) of pipeline {} held again from {}", n, name, path.string());
    adopted += n;
  }
  return adopted;
}

}  // namespace coyote::host::schedule
