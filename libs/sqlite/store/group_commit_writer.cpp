#include "sqlite/store/group_commit_writer.hpp"

#include <pthread.h>

#include <algorithm>
#include <exception>
#include <utility>

namespace coyote::sqlite {

namespace {

using SteadyClock = std::chrono::steady_clock;
using SystemClock = std::chrono::system_clock;

/// A due time is read from the wall clock; the writer sleeps on the steady clock and re-reads
/// the wall clock at least this often, so a clock step cannot hold a due job back for long.
constexpr auto kLongestSleepForDueTime = std::chrono::seconds{10};

}  // namespace

GroupCommitWriter::GroupCommitWriter(WriterOptions options, WriterHooks& hooks)
    : options_(std::move(options)), hooks_(hooks) {}

GroupCommitWriter::~GroupCommitWriter() { stop(); }

void GroupCommitWriter::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] {
    // Named for `top -H` and for tests that count the writers (a sanitizer's own threads are
    // not writers).
    pthread_setname_np(pthread_self(), kThreadName);
    run();
  });
}

void GroupCommitWriter::submit(std::unique_ptr<Operation> op) {
  bool notify = false;
  {
    std::lock_guard lock(mutex_);
    if (op->urgent()) {
      ++urgent_queued_;
    } else if (lazy_queued_++ == 0) {
      lazy_since_ = std::chrono::steady_clock::now();
    }
    queue_.push_back(std::move(op));
    // Only a sleeping writer needs the wake-up (a busy one takes the queue after its commit,
    // which is what groups the commits), and for lazy work only once enough has gathered: a
    // sleeping writer also wakes by itself when the oldest lazy operation has waited enough.
    // Skipping the futex call matters on the host's loop.
    notify = sleeping_ && (urgent_queued_ > 0 || lazy_queued_ == 1 || lazy_queued_ >= lazy_limit_);
  }
  if (notify) cv_.notify_one();
}

void GroupCommitWriter::set_lazy_limit(std::size_t limit) {
  bool notify = false;
  {
    std::lock_guard lock(mutex_);
    lazy_limit_ = std::max<std::size_t>(1, limit);
    notify = sleeping_ && lazy_queued_ >= lazy_limit_;
  }
  if (notify) cv_.notify_one();
}

void GroupCommitWriter::wake() {
  bool notify = false;
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
    notify = sleeping_;
  }
  if (notify) cv_.notify_one();
}

void GroupCommitWriter::set_durability(Durability durability) {
  {
    std::lock_guard lock(mutex_);
    durability_change_ = durability;
  }
  wake();
}

void GroupCommitWriter::stop() {
  std::thread thread;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    thread = std::move(thread_);
  }
  cv_.notify_one();
  if (!thread.joinable()) return;
  if (thread.get_id() == std::this_thread::get_id()) {
    // Never reached by the store's own design (the writer never drops the last reference to
    // its owner), but a join on ourselves would abort: let the loop finish by itself.
    thread.detach();
    return;
  }
  thread.join();
}

std::string GroupCommitWriter::fault() const {
  std::lock_guard lock(mutex_);
  return fault_text_;
}

bool GroupCommitWriter::is_open() const {
  std::lock_guard lock(mutex_);
  return open_;
}

std::uint64_t GroupCommitWriter::commits() const {
  std::lock_guard lock(mutex_);
  return commits_;
}

void GroupCommitWriter::log(WriterLogLevel level, const std::string& text) const {
  if (options_.log) options_.log(level, text);
}

void GroupCommitWriter::run() {
  Ops batch;
  while (true) {
    // Writer-only state: read before taking the mutex (the hooks lock their own mutexes, which
    // host threads hold while they submit: never nest them the other way round).
    const auto due = db_ ? hooks_.next_wakeup() : std::nullopt;
    bool stop_now = false;
    std::optional<Durability> durability;
    {
      std::unique_lock lock(mutex_);
      while (urgent_queued_ == 0 && lazy_queued_ < lazy_limit_ && !woken_ && !stopping_) {
        const auto now = SteadyClock::now();
        std::optional<SteadyClock::time_point> deadline;
        if (lazy_queued_ > 0) deadline = lazy_since_ + options_.lazy_delay;
        if (due) {
          const auto wait = std::clamp<SystemClock::duration>(
              *due - SystemClock::now(), SystemClock::duration::zero(), kLongestSleepForDueTime);
          const auto at = now + std::chrono::duration_cast<SteadyClock::duration>(wait);
          deadline = deadline ? std::min(*deadline, at) : at;
        }
        // While a fault lasts the writer retries by itself (a probe write when nothing else
        // waits), so a fault clears without waiting for the next push.
        if (!db_ || !fault_.ok()) deadline = deadline ? std::min(*deadline, retry_at_) : retry_at_;
        if (deadline && *deadline <= now) break;
        sleeping_ = true;
        if (deadline) {
          cv_.wait_until(lock, *deadline);
        } else {
          cv_.wait(lock);
        }
        sleeping_ = false;
      }
      batch.swap(queue_);
      urgent_queued_ = 0;
      lazy_queued_ = 0;
      woken_ = false;
      stop_now = stopping_;
      durability = std::exchange(durability_change_, std::nullopt);
    }
    if (durability) options_.open.durability = *durability;
    if (!db_ && (stop_now || SteadyClock::now() >= retry_at_)) (void)try_open();
    if (!db_) {
      fail_all(batch, fault_);
      batch.clear();
      if (stop_now) {
        drop_kept();
        break;
      }
      continue;
    }
    if (durability) {
      try {
        db_->set_durability(*durability);
      } catch (const StoreFailure& failure) {
        log(WriterLogLevel::kWarn, "changing the durability failed: " + failure.error().text);
      }
    }
    Ops ops = std::move(kept_);
    kept_.clear();
    ops.reserve(ops.size() + batch.size());
    for (auto& op : batch) ops.push_back(std::move(op));
    batch.clear();
    transact(ops);
    if (!stop_now) continue;
    // Stopping: one attempt for what is queued now, then whatever arrived during that commit.
    bool more = false;
    {
      std::lock_guard lock(mutex_);
      more = !queue_.empty();
    }
    if (more && fault_.ok()) continue;
    drop_kept();
    std::lock_guard lock(mutex_);
    if (queue_.empty()) break;
  }
  close();
}

void GroupCommitWriter::drop_kept() {
  if (kept_.empty()) return;
  log(WriterLogLevel::kError, "closing " + options_.open.path + " with " +
                                  std::to_string(kept_.size()) +
                                  " acknowledgement(s) not written (" + fault_.text +
                                  "); those jobs are delivered again at the next start");
  kept_.clear();
}

bool GroupCommitWriter::try_open() {
  try {
    db_ = Database::open(options_.open);
    if (reopen_check_) {
      auto check = db_->prepare("PRAGMA quick_check");
      std::string problem;
      while (check.step()) {
        const std::string_view row = check.column_text(0);
        if (row != "ok" && problem.empty()) problem = std::string(row);
      }
      check.reset();
      if (!problem.empty()) {
        throw StoreFailure(
            classify_sqlite(11 /* SQLITE_CORRUPT */, 0, problem, options_.open.path, "check"));
      }
    }
    hooks_.opened(*db_);
    reopen_check_ = false;
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    return true;
  } catch (const StoreFailure& failure) {
    close();
    enter_fault(failure.error());
    if (failure.error().kind == FaultKind::kCorrupt) reopen_check_ = true;
  } catch (const std::exception& e) {
    close();
    enter_fault(StoreError{FaultKind::kOther, 0, 0,
                           "open " + options_.open.path + " failed: " + std::string(e.what())});
  }
  return false;
}

void GroupCommitWriter::close() noexcept {
  if (db_) hooks_.closing();
  db_.reset();
  std::lock_guard lock(mutex_);
  open_ = false;
}

void GroupCommitWriter::transact(Ops& ops) {
  StoreError error;
  try {
    db_->begin();
    for (auto& op : ops) op->apply(*db_);
    hooks_.before_commit(*db_);
    if (!fault_.ok() && ops.empty()) {
      // Nothing to write, but the fault must be seen to clear: a write that needs the space,
      // permission and lock that the failed one needed.
      db_->exec(
          "CREATE TABLE IF NOT EXISTS coyote_writer_probe(id INTEGER PRIMARY KEY, at INTEGER);"
          "INSERT OR REPLACE INTO coyote_writer_probe VALUES(1, strftime('%s','now'))");
    }
    db_->commit();
  } catch (const StoreFailure& failure) {
    error = failure.error();
  } catch (const std::exception& e) {
    error = StoreError{FaultKind::kOther, 0, 0,
                       "transaction on " + options_.open.path + " failed: " + e.what()};
  }
  if (error.ok()) {
    // The recovery is visible (log, jobs.Stat) before any producer hears its push succeeded,
    // as a fault is before its refusal: a producer that retried until it got through must find
    // the fault cleared.
    leave_fault();
    for (auto& op : ops) op->committed();
    ops.clear();
    hooks_.after_commit();
    std::lock_guard lock(mutex_);
    ++commits_;
    return;
  }
  db_->rollback();
  hooks_.after_rollback(error);
  // The fault is visible (jobs.Stat) before any producer hears about it.
  enter_fault(error);
  fail_all(ops, error);
  ops.clear();
  if (error.needs_reopen()) {
    if (error.kind == FaultKind::kCorrupt) reopen_check_ = true;
    close();
  }
}

void GroupCommitWriter::fail_all(Ops& ops, const StoreError& error) {
  for (auto& op : ops) {
    if (!op) continue;
    if (op->failed(error)) {
      kept_.push_back(std::move(op));
    } else {
      ++refused_since_fault_;
    }
  }
}

void GroupCommitWriter::enter_fault(const StoreError& error) {
  const auto now = SteadyClock::now();
  const bool changed = error.kind != fault_.kind || error.text != fault_.text;
  backoff_ = fault_.ok() ? options_.retry_min : std::min(backoff_ * 2, options_.retry_max);
  retry_at_ = now + backoff_;
  if (changed || now - fault_logged_at_ >= options_.repeat_log) {
    log(WriterLogLevel::kError,
        error.text + (fault_.ok() ? ""
                                  : " (still failing; retrying every " +
                                        std::to_string(backoff_.count()) + " ms)"));
    fault_logged_at_ = now;
  }
  fault_ = error;
  std::lock_guard lock(mutex_);
  fault_text_ = error.text;
}

void GroupCommitWriter::leave_fault() {
  if (fault_.ok()) return;
  log(WriterLogLevel::kInfo,
      "store " + options_.open.path + " works again (" + std::to_string(refused_since_fault_) +
          " push(es) were refused meanwhile); the fault was: " + fault_.text);
  fault_ = StoreError{};
  backoff_ = std::chrono::milliseconds{0};
  refused_since_fault_ = 0;
  std::lock_guard lock(mutex_);
  fault_text_.clear();
}

}  // namespace coyote::sqlite
