#include "jobs/dead_letter_file.hpp"

#include <sqlite/store/database.hpp>
#include <sqlite/store/statement.hpp>
#include <sqlite/store/store_error.hpp>

#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <stdexcept>
#include <utility>

namespace coyote::host::jobs {
namespace {

namespace json = boost::json;
using sqlite::Database;
using sqlite::StoreError;
using sqlite::StoreFailure;

constexpr std::int64_t kSchemaVersion = 1;

void create_schema(Database& db, const std::string& path) {
  // A job file of the sqlite driver is Coyote's too, but its owner is a pipeline: sharing it
  // would make two writers fight over one exclusive lock.
  auto jobs = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'jobs'");
  if (jobs.step()) {
    throw StoreFailure(StoreError{
        sqlite::FaultKind::kNotCoyote, 0, 0,
        path + " is a job file of the sqlite driver; give jobs.dead_letter.file a file of its "
               "own"});
  }
  jobs.reset();
  db.exec(
      "CREATE TABLE IF NOT EXISTS coyote_meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
      "INSERT OR IGNORE INTO coyote_meta VALUES('format', 'coyote');"
      "CREATE TABLE IF NOT EXISTS dead_letters(seq INTEGER PRIMARY KEY, store TEXT NOT NULL, "
      "id TEXT NOT NULL, name TEXT NOT NULL, headers TEXT NOT NULL, payload BLOB NOT NULL, "
      "priority INTEGER NOT NULL, auto_ack INTEGER NOT NULL, origin TEXT NOT NULL, "
      "attempts INTEGER NOT NULL, error TEXT NOT NULL, dead_at_ms INTEGER NOT NULL, "
      "UNIQUE(store, id));");
  auto version = db.prepare("SELECT value FROM coyote_meta WHERE key = 'dead_letters_schema'");
  if (version.step()) {
    const std::int64_t v = version.column_int(0);
    version.reset();
    if (v > kSchemaVersion) {
      throw StoreFailure(StoreError{
          sqlite::FaultKind::kNotCoyote, 0, 0,
          path + " was written by a newer Coyote (dead-letter schema " + std::to_string(v) +
              "); run that version, or point jobs.dead_letter.file to a new path"});
    }
    return;
  }
  version.reset();
  auto put = db.prepare("INSERT INTO coyote_meta VALUES('dead_letters_schema', ?1)");
  put.bind(1, kSchemaVersion).run();
}

std::string encode_headers(const sdk::Headers& headers) {
  json::object out;
  for (const auto& [key, values] : headers) {
    json::array list;
    for (const auto& v : values) list.emplace_back(v);
    out[key] = std::move(list);
  }
  return json::serialize(out);
}

/// The file is ours, but a row that does not parse is reported rather than trusted.
bool decode_headers(std::string_view text, sdk::Headers& headers) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec || !v.is_object()) return false;
  for (const auto& [key, values] : v.get_object()) {
    if (!values.is_array()) return false;
    std::vector<std::string> list;
    for (const auto& item : values.get_array()) {
      if (!item.is_string()) return false;
      list.emplace_back(item.get_string());
    }
    headers.insert_or_assign(std::string(key), std::move(list));
  }
  return true;
}

std::int64_t millis_of(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

/// One row bound for the insert statement: owns the bytes the statement binds without copying.
struct Row {
  std::string store;
  std::string id;
  std::string name;
  std::string headers;
  std::string payload;
  std::int64_t priority = 0;
  bool auto_ack = false;
  std::string origin;
  std::int64_t attempts = 0;
  std::string error;
  std::int64_t dead_at_ms = 0;
};

}  // namespace

class DeadLetterFile::Statements {
 public:
  explicit Statements(Database& db)
      : insert_(db.prepare(
            "INSERT OR REPLACE INTO dead_letters(store, id, name, headers, payload, priority, "
            "auto_ack, origin, attempts, error, dead_at_ms) "
            "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")),
        remove_(db.prepare("DELETE FROM dead_letters WHERE store = ?1 AND id = ?2")) {}

  void insert(const Row& r) {
    insert_.bind_text(1, r.store)
        .bind_text(2, r.id)
        .bind_text(3, r.name)
        .bind_text(4, r.headers)
        .bind_blob(5, r.payload)
        .bind(6, r.priority)
        .bind(7, r.auto_ack ? 1 : 0)
        .bind_text(8, r.origin)
        .bind(9, r.attempts)
        .bind_text(10, r.error)
        .bind(11, r.dead_at_ms)
        .run();
  }
  void remove(const std::string& store, const std::string& id) {
    remove_.bind_text(1, store).bind_text(2, id).run();
  }

 private:
  sqlite::Statement insert_;
  sqlite::Statement remove_;
};

namespace {

/// A write whose caller waits for it (an acknowledgement at a driver, an operator's command):
/// urgent, reported once, never kept for a retry (the caller decides what a failure means).
class Write final : public sqlite::Operation {
 public:
  Write(std::function<void()> apply, std::function<void(sdk::Status)> done)
      : apply_(std::move(apply)), done_(std::move(done)) {}

  void apply(Database& /*db*/) override { apply_(); }
  void committed() override { done_(sdk::Status::ok()); }
  bool failed(const StoreError& error) override {
    done_(sdk::Status::error(error.text));
    return false;
  }

 private:
  std::function<void()> apply_;
  std::function<void(sdk::Status)> done_;
};

}  // namespace

DeadLetterFile::DeadLetterFile(boost::asio::io_context& io, const std::string& path,
                               bool process_durability, std::shared_ptr<spdlog::logger> log,
                               std::vector<StoredDeadJob>& loaded)
    : io_(io), path_(path), log_(std::move(log)) {
  sqlite::OpenOptions open;
  open.path = path;
  open.mode = 0600;
  open.durability = process_durability ? sqlite::Durability::kProcess : sqlite::Durability::kDisk;
  try {
    // Read once at startup, before the writer takes the file's lock for good.
    auto db = Database::open(open);
    db->begin();
    create_schema(*db, path);
    auto rows = db->prepare(
        "SELECT store, id, name, headers, payload, priority, auto_ack, origin, attempts, error, "
        "dead_at_ms FROM dead_letters ORDER BY seq");
    std::size_t unreadable = 0;
    while (rows.step()) {
      StoredDeadJob row;
      row.store = std::string(rows.column_text(0));
      DeadJob& job = row.job;
      job.message.id = std::string(rows.column_text(1));
      job.message.name = std::string(rows.column_text(2));
      if (!decode_headers(rows.column_text(3), job.message.headers)) {
        ++unreadable;
        continue;
      }
      job.message.payload = std::string(rows.column_blob(4));
      job.message.options.priority = rows.column_int(5);
      job.message.options.auto_ack = rows.column_int(6) != 0;
      job.origin = std::string(rows.column_text(7));
      job.message.options.pipeline = job.origin;
      job.attempts = rows.column_int(8);
      job.last_error = std::string(rows.column_text(9));
      job.dead_at =
          std::chrono::system_clock::time_point{std::chrono::milliseconds{rows.column_int(10)}};
      loaded.push_back(std::move(row));
    }
    rows.reset();
    db->commit();
    if (unreadable > 0) {
      log_->error(
          "{}: {} dead job(s) have unreadable headers and are not listed (left in the "
          "file, table dead_letters)",
          path, unreadable);
    }
  } catch (const StoreFailure& e) {
    throw std::runtime_error("jobs.dead_letter.file: " + e.error().text);
  }
  sqlite::WriterOptions options;
  options.open = open;
  options.log = [log = log_](sqlite::WriterLogLevel level, std::string_view text) {
    switch (level) {
      case sqlite::WriterLogLevel::kDebug:
        log->debug("dead-letter file: {}", text);
        break;
      case sqlite::WriterLogLevel::kInfo:
        log->info("dead-letter file: {}", text);
        break;
      case sqlite::WriterLogLevel::kWarn:
        log->warn("dead-letter file: {}", text);
        break;
      case sqlite::WriterLogLevel::kError:
        log->error("dead-letter file: {}", text);
        break;
    }
  };
  writer_ = std::make_unique<sqlite::GroupCommitWriter>(std::move(options), *this);
  writer_->start();
}

DeadLetterFile::~DeadLetterFile() {
  writer_->stop();
  *alive_ = false;
}

void DeadLetterFile::opened(Database& db) {
  db.begin();
  try {
    create_schema(db, path_);
    db.commit();
  } catch (...) {
    db.rollback();
    throw;
  }
  statements_ = std::make_unique<Statements>(db);
}

void DeadLetterFile::closing() noexcept { statements_.reset(); }

std::function<void(sdk::Status)> DeadLetterFile::on_loop(Done done) {
  return [&io = io_, alive = alive_, done = std::move(done)](sdk::Status status) mutable {
    boost::asio::post(io, [alive, done = std::move(done), status = std::move(status)]() mutable {
      if (*alive) done(std::move(status));
    });
  };
}

void DeadLetterFile::put(const std::string& store, const DeadJob& job, Done done) {
  auto row = std::make_shared<Row>();
  row->store = store;
  row->id = job.message.id;
  row->name = job.message.name;
  row->headers = encode_headers(job.message.headers);
  row->payload = job.message.payload;
  row->priority = job.message.options.priority;
  row->auto_ack = job.message.options.auto_ack;
  row->origin = job.origin;
  row->attempts = job.attempts;
  row->error = job.last_error;
  row->dead_at_ms = millis_of(job.dead_at);
  // Runs on the writer thread, after opened() prepared the statements.
  writer_->submit(std::make_unique<Write>([this, row] { statements_->insert(*row); },
                                          on_loop(std::move(done))));
}

namespace {

/// Write with the connection in hand, for tables other host stores keep in this file.
class DatabaseWrite final : public sqlite::Operation {
 public:
  DatabaseWrite(std::function<void(Database&)> apply, std::function<void(sdk::Status)> done)
      : apply_(std::move(apply)), done_(std::move(done)) {}

  void apply(Database& db) override { apply_(db); }
  void committed() override { done_(sdk::Status::ok()); }
  bool failed(const StoreError& error) override {
    done_(sdk::Status::error(error.text));
    return false;
  }

 private:
  std::function<void(Database&)> apply_;
  std::function<void(sdk::Status)> done_;
};

}  // namespace

void DeadLetterFile::write(std::function<void(sqlite::Database&)> apply, Done done) {
  writer_->submit(std::make_unique<DatabaseWrite>(std::move(apply), on_loop(std::move(done))));
}

void DeadLetterFile::remove(const std::string& store, const std::string& id, Done done) {
  writer_->submit(std::make_unique<Write>([this, store, id] { statements_->remove(store, id); },
                                          on_loop(std::move(done))));
}

}  // namespace coyote::host::jobs
