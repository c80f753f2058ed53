#include "sqlite/file_store.hpp"

#include "sqlite/job_statements.hpp"

#include <algorithm>
#include <chrono>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>

namespace coyote::drivers::sqlite {

namespace {

using coyote::sqlite::Database;
using coyote::sqlite::FaultKind;
using coyote::sqlite::StoreError;
using coyote::sqlite::StoreFailure;

/// Rows promoted (due) per transaction; the rest follow in the next one, at once.
constexpr std::int64_t kMaxPromotedPerTx = 10'000;
constexpr std::int64_t kJobsSchemaVersion = 1;
/// Longest wait in attach() for a pipeline's counts (normally one commit).
constexpr auto kAttachWait = std::chrono::seconds{2};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string random_id() {
  std::random_device random;
  std::string out;
  const char* hex = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) out.push_back(hex[random() & 0xf]);
  return out;
}

sdk::LogLevel level_of(coyote::sqlite::WriterLogLevel level) {
  switch (level) {
    case coyote::sqlite::WriterLogLevel::kDebug:
      return sdk::LogLevel::kDebug;
    case coyote::sqlite::WriterLogLevel::kInfo:
      return sdk::LogLevel::kInfo;
    case coyote::sqlite::WriterLogLevel::kWarn:
      return sdk::LogLevel::kWarn;
    case coyote::sqlite::WriterLogLevel::kError:
      return sdk::LogLevel::kError;
  }
  return sdk::LogLevel::kError;
}

coyote::sqlite::WriterOptions writer_options(const std::string& path, unsigned mode,
                                             coyote::sqlite::Durability durability,
                                             sdk::Logger& log) {
  coyote::sqlite::WriterOptions options;
  options.open = coyote::sqlite::OpenOptions{path, mode, durability};
  options.log = [&log](coyote::sqlite::WriterLogLevel level, std::string_view text) {
    log.log(level_of(level), text);
  };
  return options;
}

}  // namespace

FileStore::FileStore(std::string path, unsigned mode, coyote::sqlite::Durability durability,
                     sdk::Logger& log)
    : path_(std::move(path)),
      log_(log),
      writer_(writer_options(path_, mode, durability, log), *this),
      durability_(durability) {}

FileStore::~FileStore() {
  // No job and no driver is left (they own the store): stop every core so the final flush
  // reserves nothing new, then write what is queued.
  for (auto* core : cores()) (void)core->stop();
  writer_.stop();
}

void FileStore::start() { writer_.start(); }

std::shared_ptr<PipelineCore> FileStore::attach(const std::string& name,
                                                const CoreSettings& settings, sdk::Queue& queue,
                                                std::uint64_t& lease) {
  PipelineCore* core = nullptr;
  {
    std::lock_guard lock(mutex_);
    auto& slot = cores_[name];
    if (!slot) slot = std::make_unique<PipelineCore>(*this, name);
    core = slot.get();
  }
  if (!core->stopped()) {
    throw std::invalid_argument("pipeline " + name + " already uses " + path_ + " in this process");
  }
  // Aliasing: the handle points at the core and owns the store.
  std::shared_ptr<PipelineCore> handle(shared_from_this(), core);
  lease = core->configure(settings, queue, handle);
  writer_.wake();  // resolve its queue and load its counts
  // jobs.Stat right after a start or a Declare must show what the file holds, not zeros: wait
  // for the writer to load the counts (one commit), unless it reports a fault.
  const auto deadline = std::chrono::steady_clock::now() + kAttachWait;
  while (!core->resolved() && writer_.fault().empty() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::microseconds{200});
  }
  return handle;
}

void FileStore::require_durability(coyote::sqlite::Durability durability,
                                   const std::string& pipeline) {
  std::lock_guard lock(mutex_);
  if (durability_owner_.empty()) durability_owner_ = pipeline;
  if (durability == durability_) return;
  if (durability == coyote::sqlite::Durability::kDisk) {
    durability_ = durability;
    durability_owner_ = pipeline;
    writer_.set_durability(durability);
    log_.info(path_ + ": durability raised to \"disk\" (fsync at every commit) for pipeline " +
              pipeline + "; every pipeline in this file gets it");
    return;
  }
  log_.warn("pipeline " + pipeline + " asked for durability \"process\", but " + path_ +
            " stays at \"disk\" for pipeline " + durability_owner_ +
            " (one file has one setting, the strongest asked for)");
}

void FileStore::consumers_changed() {
  std::int64_t smallest = 0;
  for (auto* core : cores()) {
    const auto prefetch = core->consuming_prefetch();
    if (prefetch > 0 && (smallest == 0 || prefetch < smallest)) smallest = prefetch;
  }
  constexpr std::int64_t kIdleLimit = 256;
  writer_.set_lazy_limit(static_cast<std::size_t>(
      smallest == 0 ? kIdleLimit : std::max<std::int64_t>(1, smallest / 4)));
}

std::vector<PipelineCore*> FileStore::cores() {
  std::lock_guard lock(mutex_);
  std::vector<PipelineCore*> out;
  out.reserve(cores_.size());
  for (auto& [name, core] : cores_) out.push_back(core.get());
  return out;
}

PipelineCore* FileStore::core_of_queue(const std::vector<PipelineCore*>& cores,
                                       std::int64_t queue_id) {
  for (auto* core : cores) {
    if (core->effective_queue_id() == queue_id) return core;
  }
  return nullptr;
}

void FileStore::create_schema(Database& db) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS coyote_meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS queues(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
      "CREATE TABLE IF NOT EXISTS jobs(seq INTEGER PRIMARY KEY, queue INTEGER NOT NULL, "
      "state INTEGER NOT NULL, priority INTEGER NOT NULL, due INTEGER NOT NULL, "
      "attempt INTEGER NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, headers BLOB, "
      "payload BLOB NOT NULL);"
      "CREATE INDEX IF NOT EXISTS jobs_ready ON jobs(queue, priority, seq) WHERE state = 0;"
      "CREATE INDEX IF NOT EXISTS jobs_due ON jobs(due) WHERE state = 2;"
      "INSERT OR IGNORE INTO coyote_meta VALUES('format', 'coyote');");
}

void FileStore::opened(Database& db) {
  db.begin();
  std::string id;
  std::int64_t recovered = 0;
  try {
    create_schema(db);
    auto get = db.prepare("SELECT value FROM coyote_meta WHERE key = ?1");
    auto put = db.prepare("INSERT OR REPLACE INTO coyote_meta VALUES(?1, ?2)");
    get.bind_text(1, "jobs_schema");
    if (get.step()) {
      const auto version = get.column_int(0);
      get.reset();
      if (version > kJobsSchemaVersion) {
        throw StoreFailure(StoreError{FaultKind::kNotCoyote, 0, 0,
                                      path_ + " was written by a newer Coyote (jobs schema " +
                                          std::to_string(version) + ", this one knows " +
                                          std::to_string(kJobsSchemaVersion) +
                                          "); run that version, or point `file` to a new path"});
      }
    } else {
      get.reset();
      put.bind_text(1, "jobs_schema").bind(2, kJobsSchemaVersion).run();
    }
    get.bind_text(1, "store_id");
    if (get.step()) id = std::string(get.column_text(0));
    get.reset();
    if (id.empty()) {
      id = random_id();
      put.bind_text(1, "store_id").bind_text(2, id).run();
    }
    if (id != store_id_) {
      // Rows reserved by whoever had this file before (this process before a kill -9, a
      // crash, a power loss) are ours to deliver again, as a new attempt.
      db.exec("UPDATE jobs SET state = 0, attempt = attempt + 1 WHERE state = 1");
      recovered = db.changes();
    }
    auto max_seq = db.prepare("SELECT coalesce(max(seq), 0) FROM jobs");
    if (max_seq.step()) next_seq_ = max_seq.column_int(0) + 1;
    max_seq.reset();
    auto min_due = db.prepare("SELECT min(due) FROM jobs WHERE state = 2");
    next_due_.reset();
    if (min_due.step() && !min_due.column_is_null(0)) next_due_ = min_due.column_int(0);
    min_due.reset();
    db.commit();
  } catch (...) {
    db.rollback();
    throw;
  }
  if (id != store_id_) {
    if (!store_id_.empty()) {
      generation_.fetch_add(1, std::memory_order_relaxed);
      for (auto* core : cores()) core->forget_queue();
      log_.warn(path_ +
                " is a different store than before the fault (replaced or restored): "
                "jobs handed out from the old file are not acknowledged into it");
    }
    store_id_ = id;
  }
  statements_ = std::make_unique<Statements>(db);
  if (recovered > 0) {
    log_.warn(path_ + ": " + std::to_string(recovered) +
              " job(s) were handed to workers when the host stopped without settling them "
              "(kill -9, crash, power loss); delivering them again as a new attempt "
              "(X-Coyote-Attempt + 1, counted by the pipeline's retry policy)");
  }
}

void FileStore::closing() noexcept { statements_.reset(); }

void FileStore::note_due(std::int64_t due_ms) {
  const auto& current = tx_due_changed_ ? tx_next_due_ : next_due_;
  if (!current || due_ms < *current) {
    tx_next_due_ = due_ms;
    tx_due_changed_ = true;
  }
}

void FileStore::promote_due(Database& db) {
  const auto due = tx_due_changed_ ? tx_next_due_ : next_due_;
  const std::int64_t now = now_ms();
  if (!due || *due > now) return;
  auto& st = statements();
  std::vector<std::pair<std::int64_t, std::int64_t>> rows;  // seq, queue
  st.select_due.bind(1, now).bind(2, kMaxPromotedPerTx);
  while (st.select_due.step()) {
    rows.emplace_back(st.select_due.column_int(0), st.select_due.column_int(1));
  }
  st.select_due.reset();
  const auto all = cores();
  for (const auto& [seq, queue] : rows) {
    st.promote.bind(1, seq).run();
    if (auto* core = core_of_queue(all, queue)) core->count_promoted(1);
  }
  tx_next_due_.reset();
  if (st.min_due.step() && !st.min_due.column_is_null(0)) tx_next_due_ = st.min_due.column_int(0);
  st.min_due.reset();
  tx_due_changed_ = true;
  (void)db;
}

void FileStore::before_commit(Database& db) {
  promote_due(db);
  for (auto* core : cores()) {
    if (core->stopped()) continue;
    (void)core->queue_id(db);  // counts for jobs.Stat even before the pipeline runs
    core->fill(db);
  }
}

void FileStore::after_commit() {
  if (tx_due_changed_) next_due_ = tx_next_due_;
  tx_due_changed_ = false;
  auto touched = std::move(touched_);
  touched_.clear();
  for (auto* core : touched) core->commit_tx();
}

void FileStore::after_rollback(const StoreError& /*error*/) noexcept {
  tx_due_changed_ = false;
  tx_next_due_.reset();
  auto touched = std::move(touched_);
  touched_.clear();
  for (auto* core : touched) core->rollback_tx();
}

std::optional<std::chrono::system_clock::time_point> FileStore::next_wakeup() {
  if (!next_due_) return std::nullopt;
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(*next_due_));
}

}  // namespace coyote::drivers::sqlite
