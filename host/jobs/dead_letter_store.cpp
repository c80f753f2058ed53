#include "jobs/dead_letter_store.hpp"

#include "jobs/retry_policy.hpp"

#include <utility>

namespace coyote::host::jobs {

std::optional<DeadJob> DeadLetterStore::add(const std::string& name, DeadJob job) {
  Store& store = stores_[name];
  const std::string id = job.message.id;
  if (auto old = store.seq_of.find(id); old != store.seq_of.end()) {
    store.by_age.erase(old->second);
    store.seq_of.erase(old);
    store.by_id.erase(id);
  }
  std::optional<DeadJob> evicted;
  if (store.by_id.size() >= limit_ && !store.by_age.empty()) {
    auto oldest = store.by_age.begin();
    auto it = store.by_id.find(oldest->second);
    if (it != store.by_id.end()) {
      evicted = std::move(it->second);
      store.by_id.erase(it);
    }
    store.seq_of.erase(oldest->second);
    store.by_age.erase(oldest);
  }
  const std::uint64_t seq = next_seq_++;
  store.by_age.emplace(seq, id);
  store.seq_of.emplace(id, seq);
  store.by_id.insert_or_assign(id, std::move(job));
  return evicted;
}

std::vector<DeadJob> DeadLetterStore::list(std::string_view name) const {
  std::vector<DeadJob> out;
  auto it = stores_.find(name);
  if (it == stores_.end()) return out;
  out.reserve(it->second.by_id.size());
  for (const auto& [seq, id] : it->second.by_age) {
    auto job = it->second.by_id.find(id);
    if (job != it->second.by_id.end()) out.push_back(job->second);
  }
  return out;
}

std::vector<std::pair<std::string, DeadJob>> DeadLetterStore::expire(
    std::chrono::system_clock::time_point cutoff) {
  std::vector<std::pair<std::string, DeadJob>> out;
  for (auto& [name, store] : stores_) {
    // by_age is in order of arrival, which is the order of death: stop at the first young one.
    while (!store.by_age.empty()) {
      auto oldest = store.by_age.begin();
      auto job = store.by_id.find(oldest->second);
      if (job != store.by_id.end() && job->second.dead_at >= cutoff) break;
      if (job != store.by_id.end()) {
        out.emplace_back(name, std::move(job->second));
        store.by_id.erase(job);
      }
      store.seq_of.erase(oldest->second);
      store.by_age.erase(oldest);
    }
  }
  return out;
}

std::optional<DeadJob> DeadLetterStore::take(std::string_view name, std::string_view id) {
  auto it = stores_.find(name);
  if (it == stores_.end()) return std::nullopt;
  Store& store = it->second;
  auto job = store.by_id.find(id);
  if (job == store.by_id.end()) return std::nullopt;
  DeadJob out = std::move(job->second);
  store.by_id.erase(job);
  if (auto seq = store.seq_of.find(id); seq != store.seq_of.end()) {
    store.by_age.erase(seq->second);
    store.seq_of.erase(seq);
  }
  return out;
}

bool DeadLetterStore::has_store(std::string_view name) const {
  return stores_.find(name) != stores_.end();
}

std::vector<std::string> DeadLetterStore::stores() const {
  std::vector<std::string> out;
  out.reserve(stores_.size());
  for (const auto& [name, store] : stores_) out.push_back(name);
  return out;
}

std::size_t DeadLetterStore::size(std::string_view name) const {
  auto it = stores_.find(name);
  return it == stores_.end() ? 0 : it->second.by_id.size();
}

void clear_delivery_headers(sdk::Message& message) {
  for (auto key :
       {kAttemptHeader, kDeadReasonHeader, kOriginHeader, kAttemptsHeader, kDeadAtHeader}) {
    if (auto it = message.headers.find(key); it != message.headers.end()) {
      message.headers.erase(it);
    }
  }
}

}  // namespace coyote::host::jobs
