// DeadLetterStore: jobs that used up their attempts or that a worker failed for good, kept by
// the host so they can be listed, replayed or deleted.
#pragma once

#include "jobs/dead_letters.hpp"

#include <coyote/sdk/message.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace coyote::host::jobs {

/// One named store per `dead_letter:` value; several pipelines may share one. Keyed by job id:
/// a second dead job with the same id replaces the first (its newer failure is what matters).
/// Bounded per store: when full, the oldest dead job is evicted and the eviction is logged by
/// the caller (add() returns it). Loop thread only.
class DeadLetterStore {
 public:
  explicit DeadLetterStore(std::size_t limit_per_store = kDefaultLimit) : limit_(limit_per_store) {}

  static constexpr std::size_t kDefaultLimit = 100'000;

  /// Makes `name` exist (empty) so it shows up in stat before the first dead job.
  void declare(const std::string& name) { (void)stores_[name]; }
  /// Stores a dead job; returns the job evicted to make room, if any.
  std::optional<DeadJob> add(const std::string& name, DeadJob job);
  /// Oldest first. Empty for an unknown store.
  [[nodiscard]] std::vector<DeadJob> list(std::string_view name) const;
  /// Removes and returns every dead job that died before `cutoff`, with its store's name.
  std::vector<std::pair<std::string, DeadJob>> expire(std::chrono::system_clock::time_point cutoff);
  /// Removes and returns one dead job.
  std::optional<DeadJob> take(std::string_view name, std::string_view id);
  [[nodiscard]] bool has_store(std::string_view name) const;
  [[nodiscard]] std::vector<std::string> stores() const;
  [[nodiscard]] std::size_t size(std::string_view name) const;

 private:
  struct Store {
    std::map<std::string, DeadJob, std::less<>> by_id;
    std::multimap<std::uint64_t, std::string> by_age;  // sequence → id, for eviction and order
    std::map<std::string, std::uint64_t, std::less<>> seq_of;
  };
  std::size_t limit_;
  std::uint64_t next_seq_ = 0;
  std::map<std::string, Store, std::less<>> stores_;
};

/// Strips the dead-letter and attempt headers: the message as its origin pipeline first saw it.
void clear_delivery_headers(sdk::Message& message);

}  // namespace coyote::host::jobs
