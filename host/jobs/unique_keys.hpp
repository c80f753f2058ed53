// UniqueKeys: the uniqueness keys of the jobs a host holds, so a second push with a key still in
// use is refused.
#pragma once

#include <coyote/sdk/headers.hpp>
#include <coyote/sdk/job.hpp>
#include <coyote/sdk/message.hpp>
#include <coyote/sdk/result.hpp>
#include <coyote/sdk/status.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace coyote::host::jobs {

/// The key a producer sets (any client, the unchanged PHP one included, through headers).
inline constexpr std::string_view kUniqueKeyHeader = "X-Coyote-Unique-Key";
/// Optional throttle window (a Go duration, "10m"): the key stays taken that long after the
/// accepted push even when the job finished sooner.
inline constexpr std::string_view kUniqueForHeader = "X-Coyote-Unique-For";
/// Every refusal's text starts with this, so clients (and the scheduler) can tell it apart.
inline constexpr std::string_view kDuplicateKeyError = "duplicate unique key";
/// Keys live in memory per job: a longer key should be hashed by its producer.
inline constexpr std::size_t kMaxUniqueKeyBytes = 4096;

/// A key is taken by one job of one pipeline from its accepted push until the job finishes
/// (acked, dead-lettered, dropped, or its pipeline destroyed) and, with kUniqueForHeader, the
/// window since the push has passed. A push whose key is taken is refused with an error that
/// starts with kDuplicateKeyError; a refusal is counted. Keys of different pipelines never
/// collide. Loop thread only.
class UniqueKeys {
 public:
  using Clock = std::chrono::steady_clock;

  /// What claim() took, to give back with unclaim() when the driver refuses the job.
  struct Claim {
    std::string pipeline;
    std::string key;
    std::string job_id;
  };

  /// Takes the message's key for it. Ok with nullopt: the message has no key. An error: a bad
  /// header (too long, empty, a window that is no positive duration) or the key is taken.
  [[nodiscard]] sdk::Result<std::optional<Claim>> claim(const sdk::Message& message,
                                                        Clock::time_point now);
  /// The driver did not take the job: its key is free again at once.
  void unclaim(const Claim& claim);
  /// The job finished for good: its key is released (or kept until its window ends).
  void finished(const sdk::Job& job, Clock::time_point now);
  /// Rebuild after a restart: a job already held by a durable driver keeps its key.
  void adopt(std::string_view pipeline, std::string_view job_id, const sdk::Headers& headers,
             Clock::time_point now);
  /// The pipeline was destroyed: every key of it is released.
  void forget_pipeline(std::string_view pipeline);

  /// Pushes refused because their key was taken, since start.
  [[nodiscard]] std::uint64_t refused() const noexcept { return refused_; }
  /// Keys taken right now (a finished job's key in its window counts until it is swept).
  [[nodiscard]] std::size_t held() const noexcept { return held_.size(); }
  /// The job holding `key` in `pipeline` now, "" when free.
  [[nodiscard]] std::string holder(std::string_view pipeline, std::string_view key,
                                   Clock::time_point now) const;

 private:
  struct Held {
    std::string job_id;
    bool finished = false;
    std::optional<Clock::time_point> until;  // the throttle window's end
  };
  [[nodiscard]] static bool taken(const Held& h, Clock::time_point now) {
    return !h.finished || (h.until && now < *h.until);
  }
  void sweep(Clock::time_point now);

  // pipeline + '\n' + key: one flat map, since keys are looked up on every push with a key.
  std::map<std::string, Held, std::less<>> held_;
  std::uint64_t refused_ = 0;
  std::uint64_t claims_since_sweep_ = 0;
};

/// The value of `name` in `headers` (case-insensitive name, first value), nullopt when absent.
[[nodiscard]] std::optional<std::string_view> header_value(const sdk::Headers& headers,
                                                           std::string_view name);

}  // namespace coyote::host::jobs
