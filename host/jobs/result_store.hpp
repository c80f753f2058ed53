// ResultStore: finished jobs' results and running jobs' progress, kept for a while for producers.
#pragma once

#include "config/key_spec.hpp"

#include <coyote/sdk/config.hpp>
#include <coyote/sdk/job.hpp>
#include <coyote/sdk/status.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace coyote::host::jobs {

/// What a producer learns about a job (coyote.JobResult, `coyote jobs result`).
struct JobResult {
  enum class State { kUnknown, kRunning, kSucceeded, kFailed };
  State state = State::kUnknown;
  std::string id;
  std::string pipeline;
  std::string result;  ///< the worker's JSON value, serialized; "" = none
  std::string error;   ///< failures: why; successes: why the result was not kept (too large)
  std::int64_t attempts = 0;
  std::string progress;  ///< the last check-in
  std::chrono::system_clock::time_point finished{};
  std::chrono::system_clock::time_point progressed{};
};

[[nodiscard]] std::string_view state_name(JobResult::State state);

/// Where the response handler reports each job's end (nullptr: results are off).
class ResultSink {
 public:
  virtual ~ResultSink() = default;
  /// A job ended: acked (`ok`, with the worker's result, maybe empty) or given up (dead-lettered
  /// or dropped after `attempts`, `error` saying why).
  virtual void record(const sdk::Job& job, bool ok, std::string_view result, std::string_view error,
                      std::int64_t attempts) = 0;
};

struct ResultSettings {
  std::chrono::milliseconds ttl{std::chrono::hours(1)};
  std::size_t max_size = 65'536;
  std::size_t max_entries = 100'000;
  /// jobs.results; nullopt when the section is absent (results are off). Throws ConfigError.
  static std::optional<ResultSettings> from_config(const sdk::Config& config);
};

/// The jobs.results keys.
[[nodiscard]] const config::Spec& result_keys();

class DeadLetterFile;
class ResultFile;

/// Loop thread only. Entries expire `ttl` after they were written (results) or last updated
/// (progress); beyond max_entries the oldest go first.
///
/// Without a host file: in memory, gone at a restart. With one (jobs.dead_letter.file), every
/// result and check-in is also written to it (table job_results) by its writer thread, batched
/// per loop turn, and read back at startup. A result is visible (fetch, waiters woken) only once
/// its transaction is durable, so a result a producer has seen survives a crash; a crash before
/// that (one commit, milliseconds after the ack) loses it. Check-ins are visible at once and
/// written behind. Expired and evicted rows are deleted in the same transactions, at most every
/// `sweep_interval()`. A write that fails is logged and the entry kept in memory only.
class ResultStore final : public ResultSink {
 public:
  using Answer = std::function<void(const JobResult&)>;
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  /// `file` (optional) must outlive the store; its rows are loaded at once (asynchronously).
  ResultStore(boost::asio::io_context& io, ResultSettings settings, DeadLetterFile* file = nullptr);
  /// Hands what is not written yet to the file's writer (which writes it before it stops).
  ~ResultStore() override;
  ResultStore(const ResultStore&) = delete;
  ResultStore& operator=(const ResultStore&) = delete;

  void record(const sdk::Job& job, bool ok, std::string_view result, std::string_view error,
              std::int64_t attempts) override;
  /// A worker's check-in for a job it runs; an error names the limit it broke.
  sdk::Status progress(const std::string& id, std::string text);
  /// The job's state now; with `wait` > 0 and no result yet, answers when the result arrives or
  /// when `wait` has passed (with what is known then). `answer` runs on the loop, maybe now.
  void fetch(const std::string& id, std::chrono::milliseconds wait, Answer answer);

  [[nodiscard]] std::size_t size() const noexcept { return results_.size(); }
  [[nodiscard]] std::size_t waiting() const noexcept { return waiters_.size(); }
  [[nodiscard]] std::uint64_t refused_too_large() const noexcept { return too_large_; }
  [[nodiscard]] const ResultSettings& settings() const noexcept { return settings_; }
  void set_clock(Clock clock) { clock_ = std::move(clock); }

  /// Results and check-ins are kept in the host file too.
  [[nodiscard]] bool durable() const noexcept { return file_ != nullptr; }
  /// The rows of the host file have been read (true at once without one).
  [[nodiscard]] bool loaded() const noexcept { return loaded_; }
  /// Results recorded whose transaction is not durable yet (not visible yet).
  [[nodiscard]] std::size_t unwritten() const noexcept { return unwritten_.size(); }
  /// Empty while the host file is healthy; else the last load or write error, naming the key.
  [[nodiscard]] const std::string& file_error() const noexcept { return file_error_; }
  /// How often, at most, a write also deletes the expired and evicted rows.
  [[nodiscard]] std::chrono::milliseconds sweep_interval() const noexcept;

 private:
  struct Waiter {
    std::uint64_t token;
    Answer answer;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  [[nodiscard]] std::chrono::system_clock::time_point now() const;
  void expire();
  [[nodiscard]] JobResult lookup(const std::string& id) const;
  void wake(const std::string& id);
  /// Makes a durable (or failed to write) result visible and wakes its waiters.
  void publish(JobResult entry, std::uint64_t token);
  void insert_result(JobResult entry);
  /// Queues an entry for the next write; failures go at once (their dead letter follows).
  void write_behind(JobResult entry, bool now);
  void flush();
  void loaded_rows(std::vector<JobResult> rows);
  void file_failed(const std::string& doing, const sdk::Status& status);

  boost::asio::io_context& io_;
  ResultSettings settings_;
  Clock clock_;
  std::unordered_map<std::string, JobResult> results_;
  std::deque<std::pair<std::chrono::system_clock::time_point, std::string>> order_;  // by write
  std::unordered_map<std::string, JobResult> running_;  // progress of jobs without a result
  std::deque<std::pair<std::chrono::system_clock::time_point, std::string>> progress_order_;
  std::multimap<std::string, Waiter> waiters_;
  std::uint64_t next_token_ = 0;
  std::uint64_t too_large_ = 0;

  std::unique_ptr<ResultFile> file_;
  std::vector<std::pair<JobResult, std::uint64_t>> batch_;    // not handed to the writer yet
  std::unordered_map<std::string, std::uint64_t> unwritten_;  // id -> token of its last write
  std::uint64_t next_write_ = 0;
  bool flush_posted_ = false;
  bool loaded_ = true;
  std::chrono::system_clock::time_point last_sweep_{};
  std::string file_error_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace coyote::host::jobs
