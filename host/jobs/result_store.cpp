#include "jobs/result_store.hpp"

#include <fmt/format.h>

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

ResultStore::ResultStore(boost::asio::io_context& io, ResultSettings settings)
    : io_(io), settings_(settings) {}

ResultStore::~ResultStore() = default;

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
    entry.progress = std::move(it->second.progress);
    entry.progressed = it->second.progressed;
    running_.erase(it);
  }
  entry.finished = now();
  // Two writes of one id in the same tick would leave one stamp for two order entries: fine,
  // the second pop finds no match and erases nothing.
  order_.emplace_back(entry.finished, entry.id);
  const std::string id = entry.id;
  results_.insert_or_assign(id, std::move(entry));
  expire();
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
  if (results_.contains(id)) {
    return sdk::Status::error("progress for job " + id + ": the job has finished already");
  }
  JobResult& entry = running_[id];
  entry.id = id;
  entry.state = JobResult::State::kRunning;
  entry.progress = std::move(text);
  entry.progressed = now();
  progress_order_.emplace_back(entry.progressed, id);
  expire();
  return sdk::Status::ok();
}

JobResult ResultStore::lookup(const std::string& id) const {
  if (auto it = results_.find(id); it != results_.end()) return it->second;
  if (auto it = running_.find(id); it != running_.end()) return it->second;
  JobResult unknown;
  unknown.id = id;
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
