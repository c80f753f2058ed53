#include "jobs/unique_keys.hpp"

#include "config/duration.hpp"

#include <algorithm>
#include <cctype>

namespace coyote::host::jobs {
namespace {

constexpr std::uint64_t kSweepEvery = 1024;
constexpr std::size_t kShownKeyBytes = 64;

std::string slot_of(std::string_view pipeline, std::string_view key) {
  std::string slot;
  slot.reserve(pipeline.size() + 1 + key.size());
  slot.append(pipeline).push_back('\n');
  slot.append(key);
  return slot;
}

std::string shown(std::string_view key) {
  if (key.size() <= kShownKeyBytes) return std::string(key);
  return std::string(key.substr(0, kShownKeyBytes)) + "...";
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::optional<std::string_view> header_value(const sdk::Headers& headers, std::string_view name) {
  if (auto it = headers.find(name); it != headers.end()) {
    if (it->second.empty()) return std::string_view();
    return std::string_view(it->second.front());
  }
  // Producers spell header names their own way (PHP arrays keep what the code wrote).
  for (const auto& [key, values] : headers) {
    if (iequals(key, name)) {
      if (values.empty()) return std::string_view();
      return std::string_view(values.front());
    }
  }
  return std::nullopt;
}

sdk::Result<std::optional<UniqueKeys::Claim>> UniqueKeys::claim(const sdk::Message& message,
                                                                Clock::time_point now) {
  const auto key = header_value(message.headers, kUniqueKeyHeader);
  if (!key) return std::optional<Claim>{};
  if (key->empty()) {
    return sdk::Status::error(std::string(kUniqueKeyHeader) + " of job " + message.id +
                              " is empty: give a key, or leave the header out");
  }
  if (key->size() > kMaxUniqueKeyBytes) {
    return sdk::Status::error(std::string(kUniqueKeyHeader) + " of job " + message.id + " is " +
                              std::to_string(key->size()) + " bytes; the limit is " +
                              std::to_string(kMaxUniqueKeyBytes) +
                              ": send a hash of it (e.g. sha256 of the job's arguments)");
  }
  std::optional<Clock::time_point> until;
  if (const auto window = header_value(message.headers, kUniqueForHeader)) {
    const auto d = config::parse_duration(*window);
    if (!d || d->count() <= 0) {
      return sdk::Status::error(
          std::string(kUniqueForHeader) + " of job " + message.id + " is \"" +
          std::string(*window) +
          "\": it must be a duration > 0 like 30s or 10m (or leave it out: the key is then "
          "held until the job finishes)");
    }
    until = now + *d;
  }
  if (++claims_since_sweep_ >= kSweepEvery) sweep(now);
  std::string slot = slot_of(message.options.pipeline, *key);
  auto it = held_.find(slot);
  if (it != held_.end() && taken(it->second, now)) {
    ++refused_;
    return sdk::Status::error(std::string(kDuplicateKeyError) + ": job " + it->second.job_id +
                              " in pipeline " + message.options.pipeline + " holds " +
                              std::string(kUniqueKeyHeader) + " \"" + shown(*key) + "\" (" +
                              (it->second.finished ? "its X-Coyote-Unique-For window is open"
                                                   : "queued, delayed or running") +
                              "); push of job " + message.id + " refused");
  }
  Held h{message.id, false, until};
  if (it != held_.end()) {
    it->second = std::move(h);
  } else {
    held_.emplace(std::move(slot), std::move(h));
  }
  return std::optional<Claim>{Claim{message.options.pipeline, std::string(*key), message.id}};
}

void UniqueKeys::unclaim(const Claim& claim) {
  auto it = held_.find(slot_of(claim.pipeline, claim.key));
  if (it != held_.end() && it->second.job_id == claim.job_id && !it->second.finished) {
    held_.erase(it);
  }
}

void UniqueKeys::finished(const sdk::Job& job, Clock::time_point now) {
  const auto key = header_value(job.headers(), kUniqueKeyHeader);
  if (!key || key->empty()) return;
  auto it = held_.find(slot_of(job.pipeline(), *key));
  // Another job may hold it by now (this one's window ended and a new push took it).
  if (it == held_.end() || it->second.job_id != job.id()) return;
  if (it->second.until && now < *it->second.until) {
    it->second.finished = true;
    return;
  }
  held_.erase(it);
}

void UniqueKeys::adopt(std::string_view pipeline, std::string_view job_id,
                       const sdk::Headers& headers, Clock::time_point now) {
  const auto key = header_value(headers, kUniqueKeyHeader);
  if (!key || key->empty() || key->size() > kMaxUniqueKeyBytes) return;
  std::optional<Clock::time_point> until;
  if (const auto window = header_value(headers, kUniqueForHeader)) {
    if (const auto d = config::parse_duration(*window); d && d->count() > 0) until = now + *d;
  }
  held_.insert_or_assign(slot_of(pipeline, *key), Held{std::string(job_id), false, until});
}

void UniqueKeys::forget_pipeline(std::string_view pipeline) {
  const std::string prefix = std::string(pipeline) + '\n';
  auto it = held_.lower_bound(prefix);
  while (it != held_.end() && it->first.compare(0, prefix.size(), prefix) == 0) {
    it = held_.erase(it);
  }
}

std::string UniqueKeys::holder(std::string_view pipeline, std::string_view key,
                               Clock::time_point now) const {
  auto it = held_.find(slot_of(pipeline, key));
  if (it == held_.end() || !taken(it->second, now)) return {};
  return it->second.job_id;
}

void UniqueKeys::sweep(Clock::time_point now) {
  claims_since_sweep_ = 0;
  std::erase_if(held_, [now](const auto& entry) { return !taken(entry.second, now); });
}

}  // namespace coyote::host::jobs
