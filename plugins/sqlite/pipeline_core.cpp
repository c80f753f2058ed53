#include "sqlite/pipeline_core.hpp"

#include "sqlite/file_store.hpp"
#include "sqlite/headers_codec.hpp"
#include "sqlite/job_statements.hpp"
#include "sqlite/sqlite_job.hpp"
#include "sqlite/store_operations.hpp"

#include <algorithm>
#include <utility>

namespace coyote::drivers::sqlite {

namespace {

/// Reservations per transaction: bounds one commit's size (and the host queue's burst) when a
/// large prefetch meets a long queue; the next transaction follows at once.
constexpr std::int64_t kMaxReservedPerTx = 10'000;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Rounded up to the next millisecond, so that a job never runs before its delay has passed.
std::int64_t due_after(std::chrono::seconds delay) {
  if (delay.count() <= 0) return 0;
  const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return (now_us + 999) / 1000 + delay.count() * 1000;
}

}  // namespace

// ---- host thread --------------------------------------------------------------------------------

std::uint64_t PipelineCore::configure(const CoreSettings& settings, sdk::Queue& queue,
                                      const std::shared_ptr<PipelineCore>& self) {
  std::lock_guard lock(mutex_);
  driver_ = settings.driver;
  priority_ = settings.priority;
  prefetch_ = settings.prefetch;
  queue_ = &queue;
  self_ = self;
  running_ = false;
  stopped_ = false;
  // A revived core was resolved before; its counts are current.
  return ++lease_;
}

void PipelineCore::push(std::vector<sdk::Message> messages, sdk::Completion done) {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) {
      done(sdk::Status::error(std::string(driver_) + " pipeline " + name_ + " is stopped"));
      return;
    }
  }
  std::vector<std::int64_t> due;
  due.reserve(messages.size());
  for (const auto& m : messages)
    due.push_back(due_after(std::chrono::seconds{m.options.delay_seconds}));
  store_.submit(
      std::make_unique<InsertOp>(*this, std::move(messages), std::move(due), std::move(done)));
}

sdk::Status PipelineCore::run() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_)
      return sdk::Status::error(std::string(driver_) + " pipeline " + name_ + " is stopped");
    running_ = true;
  }
  store_.consumers_changed();
  store_.wake();
  return sdk::Status::ok();
}

sdk::Status PipelineCore::pause() {
  {
    std::lock_guard lock(mutex_);
    if (!running_) return sdk::Status::error("no active listeners, nothing to pause");
    running_ = false;
  }
  store_.consumers_changed();
  return sdk::Status::ok();
}

sdk::Status PipelineCore::resume() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_)
      return sdk::Status::error(std::string(driver_) + " pipeline " + name_ + " is stopped");
    if (running_) {
      return sdk::Status::error(std::string(driver_) + " listener is already in the active state");
    }
    running_ = true;
  }
  store_.consumers_changed();
  store_.wake();
  return sdk::Status::ok();
}

sdk::Status PipelineCore::stop(std::uint64_t lease) {
  {
    std::lock_guard lock(mutex_);
    if (lease != lease_) return sdk::Status::ok();
  }
  return stop();
}

sdk::Status PipelineCore::stop() {
  std::deque<std::unique_ptr<sdk::Job>> overflow;
  {
    std::lock_guard lock(mutex_);
    running_ = false;
    stopped_ = true;
    overflow.swap(overflow_);
  }
  // Destroyed here, unacknowledged: each goes back to ready through the writer.
  overflow.clear();
  store_.consumers_changed();
  return sdk::Status::ok();
}

std::int64_t PipelineCore::consuming_prefetch() {
  std::lock_guard lock(mutex_);
  return running_ && !stopped_ ? prefetch_ : 0;
}

bool PipelineCore::stopped() {
  std::lock_guard lock(mutex_);
  return stopped_;
}

std::string_view PipelineCore::driver_name() {
  std::lock_guard lock(mutex_);
  return driver_;
}

sdk::State PipelineCore::state() {
  sdk::State s;
  {
    std::lock_guard lock(mutex_);
    s.pipeline = name_;
    s.driver = std::string(driver_);
    // RoadRunner's boltdb reports its bucket; ours reports the pipeline, as memory does.
    s.queue = driver_ == "boltdb" ? std::string("push") : name_;
    s.active = counts_.ready;
    s.delayed = counts_.delayed;
    s.reserved = counts_.reserved;
    s.ready = running_;
    s.priority = static_cast<std::uint64_t>(priority_);
  }
  s.error = store_.fault();
  return s;
}

void PipelineCore::remove(std::int64_t seq, std::uint64_t generation) {
  store_.submit(std::make_unique<RemoveOp>(*this, seq, generation));
}

void PipelineCore::put_back(std::int64_t seq, std::uint64_t generation,
                            std::chrono::seconds delay) {
  store_.submit(std::make_unique<PutBackOp>(*this, seq, generation, due_after(delay)));
}

void PipelineCore::requeue(std::int64_t seq, std::uint64_t generation, const sdk::Headers& headers,
                           std::chrono::seconds delay) {
  sdk::Headers stored = headers;
  const std::int64_t attempt = take_attempt(stored);
  store_.submit(std::make_unique<RequeueOp>(*this, seq, generation, encode_headers(stored), attempt,
                                            due_after(delay)));
}

void PipelineCore::on_room() {
  std::lock_guard lock(mutex_);
  waiting_for_room_ = false;
  while (!overflow_.empty() && !stopped_) {
    if (!queue_->try_insert(overflow_.front())) {
      waiting_for_room_ = true;
      std::weak_ptr<PipelineCore> weak = self_;
      queue_->on_room([weak] {
        if (auto core = weak.lock()) core->on_room();
      });
      return;
    }
    overflow_.pop_front();
  }
}

// ---- writer thread ------------------------------------------------------------------------------

void PipelineCore::touch() {
  if (touched_) return;
  touched_ = true;
  store_.touched(*this);
}

std::int64_t PipelineCore::queue_id(coyote::sqlite::Database& /*db*/) {
  if (queue_id_ != 0) return queue_id_;
  if (tx_queue_id_ != 0) return tx_queue_id_;
  auto& st = store_.statements();
  st.queue_insert.bind_text(1, name_).run();
  st.queue_id.bind_text(1, name_);
  if (!st.queue_id.step()) {
    st.queue_id.reset();
    throw coyote::sqlite::StoreFailure(coyote::sqlite::StoreError{
        coyote::sqlite::FaultKind::kOther, 0, 0,
        store_.path() + ": the queue row of pipeline " + name_ + " vanished"});
  }
  const std::int64_t id = st.queue_id.column_int(0);
  st.queue_id.reset();
  Counts loaded;
  st.counts.bind(1, id);
  while (st.counts.step()) {
    const auto n = st.counts.column_int(1);
    switch (st.counts.column_int(0)) {
      case kReady:
        loaded.ready = n;
        break;
      case kReserved:
        loaded.reserved = n;
        break;
      case kDelayed:
        loaded.delayed = n;
        break;
      default:
        break;
    }
  }
  st.counts.reset();
  tx_queue_id_ = id;
  tx_loaded_ = loaded;
  touch();
  return id;
}

void PipelineCore::insert(coyote::sqlite::Database& db, std::vector<sdk::Message>& messages,
                          const std::vector<std::int64_t>& due_ms) {
  const std::int64_t queue = queue_id(db);
  bool running = false;
  std::int64_t prefetch = 0;
  std::int64_t priority = 0;
  Counts base;
  {
    std::lock_guard lock(mutex_);
    running = running_ && !stopped_;
    prefetch = prefetch_;
    priority = priority_;
    base = counts_;
  }
  if (tx_loaded_) base = *tx_loaded_;
  const std::int64_t now = now_ms();
  touch();
  // First every row's values, then the writes: a PushBatch goes in kInsertRows rows per
  // statement, which halves SQLite's per-row work (one cursor and one VDBE run per chunk).
  struct Row {
    std::int64_t seq = 0;
    std::int64_t state = kReady;
    std::int64_t due = 0;
    std::int64_t attempt = 1;
    std::string headers;
  };
  std::vector<Row> rows(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    auto& m = messages[i];
    auto& r = rows[i];
    if (m.options.priority == 0) m.options.priority = priority;
    r.attempt = take_attempt(m.headers);
    r.headers = encode_headers(m.headers);
    const std::int64_t due = i < due_ms.size() ? due_ms[i] : 0;
    r.state = kReady;
    r.due = 0;
    if (due > now) {
      r.state = kDelayed;
      r.due = due;
      ++tx_delta_.delayed;
      store_.note_due(due);
    } else if (running && base.ready + tx_delta_.ready == 0 &&
               base.reserved + tx_delta_.reserved < prefetch) {
      // Nothing older is waiting and there is room: reserve it in the same write, so a job
      // pushed into a running pipeline costs one commit, not two.
      r.state = kReserved;
      ++tx_delta_.reserved;
    } else {
      ++tx_delta_.ready;
    }
    r.seq = store_.next_seq();
  }
  auto& statements = store_.statements();
  const auto bind_row = [&](coyote::sqlite::Statement& st, int first, std::size_t i) {
    const auto& m = messages[i];
    const auto& r = rows[i];
    st.bind(first, r.seq).bind(first + 1, queue).bind(first + 2, r.state);
    st.bind(first + 3, m.options.priority).bind(first + 4, r.due).bind(first + 5, r.attempt);
    st.bind_text(first + 6, m.id).bind_text(first + 7, m.name);
    if (r.headers.empty()) {
      st.bind_null(first + 8);
    } else {
      st.bind_blob(first + 8, r.headers);
    }
    st.bind_blob(first + 9, m.payload);
  };
  std::size_t i = 0;
  for (; i + kInsertRows <= messages.size(); i += kInsertRows) {
    for (std::size_t k = 0; k < kInsertRows; ++k) {
      bind_row(statements.insert_many, static_cast<int>(k * kInsertColumns) + 1, i + k);
    }
    statements.insert_many.run();
  }
  for (; i < messages.size(); ++i) {
    bind_row(statements.insert, 1, i);
    statements.insert.run();
  }
  for (std::size_t j = 0; j < messages.size(); ++j) {
    if (rows[j].state != kReserved) continue;
    auto& m = messages[j];
    give_attempt(m.headers, rows[j].attempt);
    m.options.pipeline = name_;
    m.options.delay_seconds = 0;
    tx_reserved_.push_back(Reserved{rows[j].seq, std::move(m)});
  }
}

void PipelineCore::fill(coyote::sqlite::Database& db) {
  std::int64_t prefetch = 0;
  Counts base;
  {
    std::lock_guard lock(mutex_);
    if (!running_ || stopped_) return;
    prefetch = prefetch_;
    base = counts_;
  }
  const std::int64_t queue = queue_id(db);
  if (tx_loaded_) base = *tx_loaded_;
  const std::int64_t room = prefetch - (base.reserved + tx_delta_.reserved);
  if (room <= 0 || base.ready + tx_delta_.ready <= 0) return;
  auto& st = store_.statements();
  std::vector<Reserved> rows;
  st.select_ready.bind(1, queue).bind(2, std::min(room, kMaxReservedPerTx));
  while (st.select_ready.step()) {
    Reserved r;
    r.seq = st.select_ready.column_int(0);
    auto& m = r.message;
    m.options.priority = st.select_ready.column_int(1);
    const std::int64_t attempt = st.select_ready.column_int(2);
    m.id = std::string(st.select_ready.column_text(3));
    m.name = std::string(st.select_ready.column_text(4));
    if (!decode_headers(st.select_ready.column_blob(5), m.headers)) {
      store_.logger().error(store_.path() + ": job " + m.id + " (pipeline " + name_ +
                            "): its stored headers are damaged; delivering it with the headers "
                            "that could be read");
    }
    m.payload = std::string(st.select_ready.column_blob(6));
    give_attempt(m.headers, attempt);
    m.options.pipeline = name_;
    rows.push_back(std::move(r));
  }
  st.select_ready.reset();
  for (const auto& r : rows) st.reserve.bind(1, r.seq).run();
  touch();
  const auto n = static_cast<std::int64_t>(rows.size());
  tx_delta_.ready -= n;
  tx_delta_.reserved += n;
  for (auto& r : rows) tx_reserved_.push_back(std::move(r));
}

void PipelineCore::count_promoted(std::int64_t n) {
  touch();
  tx_delta_.delayed -= n;
  tx_delta_.ready += n;
}

void PipelineCore::count_settled(std::optional<int> to_state) {
  touch();
  --tx_delta_.reserved;
  if (to_state == kReady) ++tx_delta_.ready;
  if (to_state == kDelayed) ++tx_delta_.delayed;
}

void PipelineCore::forget_queue() {
  resolved_.store(false, std::memory_order_release);
  queue_id_ = 0;
  tx_queue_id_ = 0;
  tx_loaded_.reset();
  tx_delta_ = Counts{};
  std::lock_guard lock(mutex_);
  counts_ = Counts{};
}

void PipelineCore::commit_tx() {
  std::vector<Reserved> rows = std::move(tx_reserved_);
  tx_reserved_.clear();
  if (tx_queue_id_ != 0) queue_id_ = tx_queue_id_;
  {
    std::lock_guard lock(mutex_);
    if (tx_loaded_) counts_ = *tx_loaded_;
    counts_.ready += tx_delta_.ready;
    counts_.delayed += tx_delta_.delayed;
    counts_.reserved += tx_delta_.reserved;
  }
  tx_queue_id_ = 0;
  tx_loaded_.reset();
  tx_delta_ = Counts{};
  touched_ = false;
  if (queue_id_ != 0) resolved_.store(true, std::memory_order_release);
  if (!rows.empty()) hand_out(rows);
}

void PipelineCore::rollback_tx() {
  tx_reserved_.clear();
  tx_queue_id_ = 0;
  tx_loaded_.reset();
  tx_delta_ = Counts{};
  touched_ = false;
}

void PipelineCore::hand_out(std::vector<Reserved>& rows) {
  const std::uint64_t generation = store_.generation();
  std::vector<std::int64_t> give_back;
  {
    std::lock_guard lock(mutex_);
    for (auto& r : rows) {
      // The writer only ever creates owning pointers (moved into a job), never drops one: the
      // last owner of the store is always on the host's thread.
      std::shared_ptr<PipelineCore> owner =
          stopped_ ? std::shared_ptr<PipelineCore>() : self_.lock();
      if (!owner) {
        give_back.push_back(r.seq);
        continue;
      }
      std::unique_ptr<sdk::Job> job = std::make_unique<SqliteJob>(
          std::move(owner), r.seq, generation, driver_, std::move(r.message));
      if (!overflow_.empty() || !queue_->try_insert(job)) overflow_.push_back(std::move(job));
    }
    if (!overflow_.empty() && !waiting_for_room_) {
      waiting_for_room_ = true;
      std::weak_ptr<PipelineCore> weak = self_;
      queue_->on_room([weak] {
        if (auto core = weak.lock()) core->on_room();
      });
    }
  }
  for (auto seq : give_back) {
    store_.submit(std::make_unique<PutBackOp>(*this, seq, generation, 0));
  }
}

}  // namespace coyote::drivers::sqlite
