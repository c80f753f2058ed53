#include "sqlite/store_operations.hpp"

#include "sqlite/file_store.hpp"
#include "sqlite/job_statements.hpp"

#include <charconv>

namespace coyote::drivers::sqlite {

std::int64_t take_attempt(sdk::Headers& headers) {
  auto it = headers.find(sdk::kAttemptHeader);
  if (it == headers.end()) return 1;
  std::int64_t attempt = 1;
  if (!it->second.empty()) {
    const auto& text = it->second.front();
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc{} && end == text.data() + text.size() && value >= 1) attempt = value;
  }
  headers.erase(it);
  return attempt;
}

void give_attempt(sdk::Headers& headers, std::int64_t attempt) {
  if (attempt > 1) {
    headers.insert_or_assign(std::string(sdk::kAttemptHeader),
                             std::vector<std::string>{std::to_string(attempt)});
  }
}

void InsertOp::apply(coyote::sqlite::Database& db) { core_.insert(db, messages_, due_); }

void InsertOp::committed() { done_(sdk::Status::ok()); }

bool InsertOp::failed(const coyote::sqlite::StoreError& error) {
  done_(sdk::Status::error("job not stored: " + error.text));
  return false;
}

void RemoveOp::apply(coyote::sqlite::Database& db) {
  if (generation_ != core_.store().generation()) return;
  core_.store().statements().remove.bind(1, seq_).run();
  if (db.changes() == 1) core_.count_settled(std::nullopt);
}

void PutBackOp::apply(coyote::sqlite::Database& db) {
  if (generation_ != core_.store().generation()) return;
  const int state = due_ms_ > 0 ? kDelayed : kReady;
  core_.store().statements().put_back.bind(1, seq_).bind(2, state).bind(3, due_ms_).run();
  if (db.changes() != 1) return;
  core_.count_settled(state);
  if (state == kDelayed) core_.store().note_due(due_ms_);
}

void RequeueOp::apply(coyote::sqlite::Database& db) {
  if (generation_ != core_.store().generation()) return;
  auto& store = core_.store();
  const int state = due_ms_ > 0 ? kDelayed : kReady;
  auto& st = store.statements().requeue;
  st.bind(1, seq_).bind(2, store.next_seq()).bind(3, state).bind(4, due_ms_).bind(5, attempt_);
  if (headers_.empty()) {
    st.bind_null(6);
  } else {
    st.bind_blob(6, headers_);
  }
  st.run();
  if (db.changes() != 1) return;
  core_.count_settled(state);
  if (state == kDelayed) store.note_due(due_ms_);
}

}  // namespace coyote::drivers::sqlite
