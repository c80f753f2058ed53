#include "jobs/result_store.hpp"

#include "jobs/dead_letter_file.hpp"
#include "jobs/result_file.hpp"
#include "log/log.hpp"

#include <fmt/format.h>
#include <boost/asio/post.hpp>

#include <algorithm>

#include <utility>
#include <vector>

namespace coyote::host::jobs {
namespace {

using config::Field;
using config::Kind;
using config::Spec;
namespace spec = config::spec;

constexpr Field kResultFields[] = {
    {"ttl", &spec::kDuration, "`1h`",
     "**Coyote**: how long a finished job's result (or failure) stays fetchable; progress "
     "check-ins expire this long after the last one"},
    {"max_size", &spec::kInteger, "`65536`",
     "**Coyote**: largest result (and progress text) kept, in bytes; a larger result is not "
     "kept: the job is still acked and its entry says why"},
    {"max_entries", &spec::kInteger, "`100000`",
     "**Coyote**: results kept at most; beyond it the oldest go first"},
};
constexpr Spec kResults{Kind::kSection, kResultFields};

}  // namespace

const config::Spec& result_keys() { return kResults; }

std::string_view state_name(JobResult::State state) {
  switch (state) {
    case JobResult::State::kRunning:
      return "running";
    case JobResult::State::kSucceeded:
      return "succeeded";
    case JobResult::State::kFailed:
      return "failed";
    case JobResult::State::kUnknown:
      break;
  }
  return "unknown";
}

std::optional<ResultSettings> ResultSettings::from_config(const sdk::Config& config) {
  if (!config.has("jobs.results")) return std::nullopt;
  ResultSettings settings;
  settings.ttl = config.duration_or("jobs.results.ttl", settings.ttl);
  if (settings.ttl.count() <= 0) {
    throw config.error_at("jobs.results.ttl",
                          "must be a positive duration such as 10m (remove jobs.results to turn "
                          "results off)");
  }
  const auto positive = [&](const char* key, std::size_t fallback) {
    const auto v = config.integer_or(key, static_cast<std::int64_t>(fallback));
    if (v <= 0) {
      throw config.error_at(key, fmt::format("must be a positive number (default {})", fallback));
    }
    return static_cast<std::size_t>(v);
  };
  settings.max_size = positive("jobs.results.max_size", settings.max_size);
  settings.max_entries = positive("jobs.results.max_entries", settings.max_entries);
  return settings;
}

ResultStore::ResultStore(boost::asio::io_context& io, ResultSettings settings, DeadLetterFile* file)
    : io_(io), settings_(settings) {
  if (file == nullptr) return;
  file_ = std::make_unique<ResultFile>(*file);
  loaded_ = false;
  // The clock may be set after construction (tests): the load's cutoff is read now, the
  // store's own expiry applies the settled clock to what it loads.
  const ResultSweep sweep{unix_ms(now() - settings_.ttl), settings_.max_entries};
  last_sweep_ = now();
  file_->load(sweep, [this, alive = alive_](sdk::Result<std::vector<JobResult>> rows) {
    if (!*alive) return;
    if (!rows) {
      file_failed("read", rows.status());
      loaded_ = true;
      return;
    }
    loaded_rows(std::move(*rows));
  });
}

ResultStore::~ResultStore() {
  // The writer outlives the store and writes what it was handed before it stops (SIGTERM).
  if (file_) flush();
  *alive_ = false;
}

std::chrono::milliseconds ResultStore::sweep_interval() const noexcept {
  return std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(settings_.ttl / 10),
                    std::chrono::milliseconds{1000}, std::chrono::milliseconds{60'000});
}

void ResultStore::file_failed(const std::string& doing, const sdk::Status& status) {
  const bool first = file_error_.empty();
  file_error_ = fmt::format(
      "jobs.dead_letter.file ({}): results could not be {} (table job_results): {}; results are "
      "kept in memory only until it works again; fix the file or point jobs.dead_letter.file to "
      "a new path",
      file_->path(), doing, status.message());
  // Once per fault: every batch fails alike while it lasts (its recovery is logged too).
  if (first) {
    log::get("jobs")->error("{}", file_error_);
  } else {
    log::get("jobs")->debug("{}", file_error_);
  }
}

void ResultStore::loaded_rows(std::vector<JobResult> rows) {
  std::vector<std::pair<std::chrono::system_clock::time_point, std::string>> done_order;
  std::vector<std::pair<std::chrono::system_clock::time_point, std::string>> running_order;
  std::vector<std::string> finished;
  for (JobResult& row : rows) {
    // What this run recorded meanwhile is newer than what the file held.
    if (results_.contains(row.id) || unwritten_.contains(row.id)) continue;
    if (row.state == JobResult::State::kRunning) {
      if (running_.contains(row.id)) continue;
      running_order.emplace_back(row.progressed, row.id);
      const std::string id = row.id;
      running_.emplace(id, std::move(row));
      continue;
    }
    running_.erase(row.id);
    done_order.emplace_back(row.finished, row.id);
    finished.push_back(row.id);
    const std::string id = row.id;
    results_.emplace(id, std::move(row));
  }
  order_.insert(order_.begin(), done_order.begin(), done_order.end());
  progress_order_.insert(progress_order_.begin(), running_order.begin(), running_order.end());
  loaded_ = true;
  expire();
  for (const auto& id : finished) wake(id);
}

void ResultStore::write_behind(JobResult entry, bool now) {
  std::uint64_t token = 0;  // a check-in: visible already
  if (entry.state != JobResult::State::kRunning) {
    token = ++next_write_;
    unwritten_[entry.id] = token;
  }
  batch_.emplace_back(std::move(entry), token);
  if (now) {
    flush();
    return;
  }
  if (flush_posted_) return;
  flush_posted_ = true;
  boost::asio::post(io_, [this, alive = alive_] {
    if (!*alive) return;
    flush_posted_ = false;
    flush();
  });
}

void ResultStore::flush() {
  if (batch_.empty()) return;
  auto entries = std::make_shared<std::vector<JobResult>>();
  std::vector<std::uint64_t> tokens;
  entries->reserve(batch_.size());
  tokens.reserve(batch_.size());
  for (auto& [entry, token] : batch_) {
    entries->push_back(std::move(entry));
    tokens.push_back(token);
  }
  batch_.clear();
  std::optional<ResultSweep> sweep;
  const auto t = now();
  if (t - last_sweep_ >= sweep_interval()) {
    sweep = ResultSweep{unix_ms(t - settings_.ttl), settings_.max_entries};
    last_sweep_ = t;
  }
  // The writer reads `entries` until the transaction ends; the loop takes them back after.
  file_->put(
      entries, sweep,
      [this, alive = alive_, entries, tokens = std::move(tokens)](const sdk::Status& status) {
        if (!*alive) return;
        if (!status) {
          file_failed("written", status);
        } else if (!file_error_.empty()) {
          log::get("jobs")->info("jobs.dead_letter.file ({}): results are written again",
                                 file_->path());
          file_error_.clear();
        }
        for (std::size_t i = 0; i < tokens.size(); ++i) {
          if (tokens[i] != 0) publish(std::move((*entries)[i]), tokens[i]);
        }
      });
}

void ResultStore::publish(JobResult entry, std::uint64_t token) {
  if (auto it = unwritten_.find(entry.id); it != unwritten_.end() && it->second == token) {
    unwritten_.erase(it);
  }
  running_.erase(entry.id);
  const std::string id = entry.id;
  insert_result(std::move(entry));
  wake(id);
}

void ResultStore::insert_result(JobResult entry) {
  // Two writes of one id in the same tick would leave one stamp for two order entries: fine,
  // the second pop finds no match and erases nothing.
  order_.emplace_back(entry.finished, entry.id);
  const std::string id = entry.id;
  results_.insert_or_assign(id, std::move(entry));
  expire();
}

std::chrono::system_clock::time_point ResultStore::now() const {
  return clock_ ? clock_() : std::chrono::system_clock::now();
}

void ResultStore::expire() {
  const auto cutoff = now() - settings_.ttl;
  // An entry rewritten later has a newer stamp in the order: only the matching stamp erases.
  while (!order_.empty() &&
         (order_.front().first <= cutoff || results_.size() > settings_.max_entries)) {
    auto it = results_.find(order_.front().second);
    if (it != results_.end() && it->second.finished == order_.front().first) results_.erase(it);
    order_.pop_front();
  }
  while (!progress_order_.empty() &&
         (progress_order_.front().first <= cutoff || running_.size() > settings_.max_entries)) {
    auto it = running_.find(progress_order_.front().second);
    if (it != running_.end() && it->second.progressed == progress_order_.front().first) {
      running_.erase(it);
    }
    progress_order_.pop_front();
  }
}

void ResultStore::record(const sdk::Job& job, bool ok, std::string_view result,
                         std::string_view error, std::int64_t attempts) {
  JobResult entry;
  entry.id = job.id();
  entry.pipeline = job.pipeline();
  entry.state = ok ? JobResult::State::kSucceeded : JobResult::State::kFailed;
  entry.attempts = attempts;
  entry.error = std::string(error);
  if (result.size() > settings_.max_size) {
    ++too_large_;
    entry.error = fmt::format(
        "the result ({} bytes) was not kept: it is larger than jobs.results.max_size ({} bytes); "
        "raise jobs.results.max_size or keep large results elsewhere and return a reference",
        result.size(), settings_.max_size);
  } else {
    entry.result = std::string(result);
  }
  if (auto it = running_.find(entry.id); it != running_.end()) {
    entry.progress = it->second.progress;
    entry.progressed = it->second.progressed;
  }
  entry.finished = now();
  if (file_) {
    // Until durable the job still shows as running (its check-in stays). A failure goes to the
    // writer now: its dead letter, submitted next, then commits with it or after it.
    write_behind(std::move(entry), !ok);
    return;
  }
  running_.erase(entry.id);
  const std::string id = entry.id;
  insert_result(std::move(entry));
  wake(id);
}

sdk::Status ResultStore::progress(const std::string& id, std::string text) {
  if (id.empty()) return sdk::Status::error("progress: no job id (set \"id\")");
  if (text.size() > settings_.max_size) {
    return sdk::Status::error(fmt::format(
        "progress for job {}: {} bytes is larger than jobs.results.max_size ({} bytes); send a "
        "short status text",
        id, text.size(), settings_.max_size));
  }
  if (results_.contains(id) || unwritten_.contains(id)) {
    return sdk::Status::error("progress for job " + id + ": the job has finished already");
  }
  JobResult& entry = running_[id];
  entry.id = id;
  entry.state = JobResult::State::kRunning;
  entry.progress = std::move(text);
  entry.progressed = now();
  progress_order_.emplace_back(entry.progressed, id);
  if (file_) write_behind(entry, false);
  expire();
  return sdk::Status::ok();
}

JobResult ResultStore::lookup(const std::string& id) const {
  if (auto it = results_.find(id); it != results_.end()) return it->second;
  if (auto it = running_.find(id); it != running_.end()) return it->second;
  JobResult unknown;
  unknown.id = id;
  // Finished, not durable yet: shown as it was until it is.
  if (unwritten_.contains(id)) unknown.state = JobResult::State::kRunning;
  return unknown;
}

void ResultStore::fetch(const std::string& id, std::chrono::milliseconds wait, Answer answer) {
  expire();
  JobResult now_known = lookup(id);
  const bool finished = now_known.state == JobResult::State::kSucceeded ||
                        now_known.state == JobResult::State::kFailed;
  if (finished || wait.count() <= 0) {
    answer(now_known);
    return;
  }
  const std::uint64_t token = next_token_++;
  auto timer = std::make_unique<boost::asio::steady_timer>(io_, wait);
  timer->async_wait([this, id, token](const boost::system::error_code& ec) {
    if (ec) return;
    auto [first, last] = waiters_.equal_range(id);
    for (auto it = first; it != last; ++it) {
      if (it->second.token != token) continue;
      Answer done = std::move(it->second.answer);
      waiters_.erase(it);
      done(lookup(id));
      return;
    }
  });
  waiters_.emplace(id, Waiter{token, std::move(answer), std::move(timer)});
}

void ResultStore::wake(const std::string& id) {
  auto [first, last] = waiters_.equal_range(id);
  if (first == last) return;
  std::vector<Answer> answers;
  for (auto it = first; it != last; ++it) answers.push_back(std::move(it->second.answer));
  waiters_.erase(first, last);  // cancels the timers
  const JobResult result = lookup(id);
  for (auto& answer : answers) answer(result);
}

}  // namespace coyote::host::jobs
