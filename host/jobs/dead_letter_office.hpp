// DeadLetterOffice: where a failed job goes — its pipeline's retry rule, then its dead letter.
#pragma once

#include "jobs/dead_letter_file.hpp"
#include "jobs/dead_letter_settings.hpp"
#include "jobs/dead_letter_store.hpp"
#include "jobs/dead_letters.hpp"
#include "jobs/delivery_rules.hpp"
#include "jobs/pipelines.hpp"

#include <coyote/sdk/message.hpp>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::jobs {

/// The ResponseHandler's DeliveryRules (a pipeline's retry policy; bury) and the RPC layer's
/// DeadLetters (list, replay, delete), over the pipelines' rules and one DeadLetterStore.
///
/// A dead job goes to its pipeline's dead_letter: into that pipeline through `push` when it is
/// one (its driver keeps the job, its workers may consume it; if it refuses, the store of that
/// name keeps it), else into the host-side store of that name; a pipeline without dead_letter
/// uses the store kDefaultDeadLetterStore. Replay pushes the job back into its origin pipeline
/// through `push`.
///
/// With jobs.dead_letter.file the host-side stores are a DeadLetterFile and the DeadLetterStore
/// is its mirror: a dead job is listed, and reported held, only once its row is durable; replay
/// and delete remove the row before they report done. A crash in between leaves the original
/// unacknowledged (redelivered, maybe dead-lettered again under the same id) or the row in the
/// file (listed again): never a loss.
///
/// Loop thread only.
class DeadLetterOffice final : public DeliveryRules, public DeadLetters {
 public:
  /// Submits a job to a pipeline's driver; `done` runs on the loop once the driver held it.
  using Push = std::function<void(sdk::Message message, Done done)>;

  /// `pipelines` must outlive the office. With settings.file, opens and reads it (blocking, at
  /// startup); throws std::runtime_error naming the file when it cannot be used.
  DeadLetterOffice(const Pipelines& pipelines, Push push, std::shared_ptr<spdlog::logger> log,
                   const DeadLetterSettings& settings, boost::asio::io_context& io);

  /// Makes an empty store `name` exist (shown in jobs.Stat before its first dead job).
  void declare_store(const std::string& name) { store_.declare(name); }
  /// Dead jobs held in `store`.
  [[nodiscard]] std::size_t held(std::string_view store) const { return store_.size(store); }
  /// Empty when the stores are healthy; else what is wrong with the dead-letter file.
  [[nodiscard]] std::string fault() const { return file_ ? file_->fault() : std::string(); }
  /// The durable file, nullptr without jobs.dead_letter.file.
  [[nodiscard]] DeadLetterFile* file() noexcept { return file_.get(); }

  // DeliveryRules
  [[nodiscard]] const RetryPolicy& retry_policy(std::string_view pipeline) const override;
  void bury(const sdk::Job& job, std::string_view reason, std::int64_t attempts,
            Held held) override;

  // DeadLetters
  [[nodiscard]] std::vector<std::string> dead_stores() const override { return store_.stores(); }
  [[nodiscard]] std::vector<DeadJob> dead_list(std::string_view store) const override {
    return store_.list(store);
  }
  void dead_replay(std::string_view store, std::string_view id, Done done) override;
  void dead_delete(std::string_view store, std::string_view id, Done done) override;

 private:
  /// Into the host-side store `store` (through the file when durable); then `held`.
  void keep(const std::string& store, DeadJob dead, Held held);
  /// Into the mirror; logs and (when durable) removes what that evicts or what grew too old.
  void remember(const std::string& store, DeadJob dead);
  void forget(const std::string& store, const DeadJob& dead, std::string_view why);

  const Pipelines& pipelines_;
  Push push_;
  std::shared_ptr<spdlog::logger> log_;
  std::chrono::seconds max_age_;
  DeadLetterStore store_;
  std::unique_ptr<DeadLetterFile> file_;
};

}  // namespace coyote::host::jobs
