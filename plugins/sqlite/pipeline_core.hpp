// PipelineCore: one sqlite/boltdb pipeline's state inside its file's store.
#pragma once

#include <coyote/sdk/completion.hpp>
#include <coyote/sdk/job.hpp>
#include <coyote/sdk/message.hpp>
#include <coyote/sdk/queue.hpp>
#include <coyote/sdk/state.hpp>
#include <coyote/sdk/status.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::sqlite {
class Database;
}

namespace coyote::drivers::sqlite {

class FileStore;

/// Jobs of the pipeline in the store, by state (what jobs.Stat reports: active = ready,
/// delayed, reserved = handed to the host and not yet acknowledged).
struct Counts {
  std::int64_t ready = 0;
  std::int64_t delayed = 0;
  std::int64_t reserved = 0;
};

/// A row handed to the host after the transaction that reserved it commits.
struct Reserved {
  std::int64_t seq = 0;
  sdk::Message message;
};

struct CoreSettings {
  /// "sqlite" or "boltdb" (a Flavor's name: static storage): the context's and jobs.Stat's
  /// driver.
  std::string_view driver = "sqlite";
  std::int64_t priority = 10;
  std::int64_t prefetch = 1000;
};

/// Owned by its FileStore (one per pipeline name per file, revived when a destroyed pipeline is
/// declared again); drivers and jobs hold it through a shared_ptr that keeps the store alive.
///
/// Two sides: host-thread methods (push, run, pause, resume, stop, state, the jobs'
/// acknowledgements) that only take the mutex and queue operations to the writer; writer-thread
/// methods (insert, reservations, the transaction's counts) that run inside a transaction.
/// Counts change only when a transaction commits: each transaction accumulates its changes in
/// tx_ and folds them in at commit, or drops them at rollback.
class PipelineCore {
 public:
  PipelineCore(FileStore& store, std::string name) : store_(store), name_(std::move(name)) {}
  ~PipelineCore() = default;
  PipelineCore(const PipelineCore&) = delete;
  PipelineCore& operator=(const PipelineCore&) = delete;
  PipelineCore(PipelineCore&&) = delete;
  PipelineCore& operator=(PipelineCore&&) = delete;

  // ---- host thread --------------------------------------------------------------------------
  /// Attaches a (new or revived) pipeline; `self` is the aliasing pointer jobs will hold.
  /// Returns the lease its driver passes to stop(): a destroyed pipeline's old driver, still
  /// alive after the name was declared again, must not stop the new one.
  std::uint64_t configure(const CoreSettings& settings, sdk::Queue& queue,
                          const std::shared_ptr<PipelineCore>& self);
  void push(std::vector<sdk::Message> messages, sdk::Completion done);
  sdk::Status run();
  sdk::Status pause();
  sdk::Status resume();
  sdk::Status stop();
  /// stop() for the driver holding `lease`; a no-op for an older lease.
  sdk::Status stop(std::uint64_t lease);
  [[nodiscard]] sdk::State state();
  [[nodiscard]] bool stopped();
  /// Its queue id and counts have been read from the file (since the last attach).
  [[nodiscard]] bool resolved() const noexcept { return resolved_.load(std::memory_order_acquire); }
  /// Its prefetch while it consumes, else 0.
  [[nodiscard]] std::int64_t consuming_prefetch();

  /// Acknowledgements of job `seq` handed out in store generation `generation`.
  void remove(std::int64_t seq, std::uint64_t generation);
  /// Back to ready (delay 0) or delayed, keeping its place in FIFO order.
  void put_back(std::int64_t seq, std::uint64_t generation, std::chrono::seconds delay);
  /// Back to the end of the queue with new headers (attempt taken from kAttemptHeader).
  void requeue(std::int64_t seq, std::uint64_t generation, const sdk::Headers& headers,
               std::chrono::seconds delay);

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// Static storage ("sqlite" / "boltdb").
  [[nodiscard]] std::string_view driver_name();

  // ---- writer thread, inside a transaction -----------------------------------------------------
  void insert(coyote::sqlite::Database& db, std::vector<sdk::Message>& messages,
              const std::vector<std::int64_t>& due_ms);
  /// Reserves ready rows up to prefetch when the pipeline runs.
  void fill(coyote::sqlite::Database& db);
  /// Row counts of a state change made by the store (promotion of due rows).
  void count_promoted(std::int64_t n);
  /// A reserved row left the reserved state: deleted (`to` empty), ready or delayed.
  void count_settled(std::optional<int> to_state);
  /// The queue id in the file (resolving it, and loading the counts, on first use).
  std::int64_t queue_id(coyote::sqlite::Database& db);
  /// The id as the open transaction sees it (0 while unresolved).
  [[nodiscard]] std::int64_t effective_queue_id() const noexcept {
    return queue_id_ != 0 ? queue_id_ : tx_queue_id_;
  }
  [[nodiscard]] FileStore& store() noexcept { return store_; }
  /// The file changed under us (replaced after a fault): forget the id and the counts.
  void forget_queue();
  void commit_tx();
  void rollback_tx();

 private:
  void touch();
  void hand_out(std::vector<Reserved>& rows);
  void on_room();

  FileStore& store_;
  const std::string name_;

  std::mutex mutex_;
  std::string_view driver_ = "sqlite";
  sdk::Queue* queue_ = nullptr;
  std::weak_ptr<PipelineCore> self_;
  std::uint64_t lease_ = 0;
  std::int64_t priority_ = 10;
  std::int64_t prefetch_ = 1000;
  bool running_ = false;
  bool stopped_ = true;
  Counts counts_;
  std::deque<std::unique_ptr<sdk::Job>> overflow_;  ///< reserved, waiting for room in the host
  bool waiting_for_room_ = false;

  std::atomic<bool> resolved_{false};

  // Writer thread only.
  std::int64_t queue_id_ = 0;
  std::int64_t tx_queue_id_ = 0;
  std::optional<Counts> tx_loaded_;
  Counts tx_delta_;
  std::vector<Reserved> tx_reserved_;
  bool touched_ = false;
};

}  // namespace coyote::drivers::sqlite
