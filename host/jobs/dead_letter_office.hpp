// DeadLetterOffice: where a failed job goes — its pipeline's retry rule, then its dead letter.
#pragma once

#include "jobs/dead_letter_store.hpp"
#include "jobs/dead_letters.hpp"
#include "jobs/delivery_rules.hpp"
#include "jobs/pipelines.hpp"

#include <coyote/sdk/message.hpp>

#include <spdlog/logger.h>

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
/// name keeps it), else into the host-side store of that name. Replay pushes the job back into
/// its origin pipeline through `push`.
///
/// Loop thread only.
class DeadLetterOffice final : public DeliveryRules, public DeadLetters {
 public:
  /// Submits a job to a pipeline's driver; `done` runs on the loop once the driver held it.
  using Push = std::function<void(sdk::Message message, Done done)>;

  /// `pipelines` must outlive the office.
  DeadLetterOffice(const Pipelines& pipelines, Push push, std::shared_ptr<spdlog::logger> log);

  /// Makes an empty store `name` exist (shown in jobs.Stat before its first dead job).
  void declare_store(const std::string& name) { store_.declare(name); }
  /// Dead jobs held in `store`.
  [[nodiscard]] std::size_t held(std::string_view store) const { return store_.size(store); }

  // DeliveryRules
  [[nodiscard]] const RetryPolicy& retry_policy(std::string_view pipeline) const override;
  bool bury(const sdk::Job& job, std::string_view reason, std::int64_t attempts) override;

  // DeadLetters
  [[nodiscard]] std::vector<std::string> dead_stores() const override { return store_.stores(); }
  [[nodiscard]] std::vector<DeadJob> dead_list(std::string_view store) const override {
    return store_.list(store);
  }
  void dead_replay(std::string_view store, std::string_view id, Done done) override;
  void dead_delete(std::string_view store, std::string_view id, Done done) override;

 private:
  void keep(const std::string& store, DeadJob dead);

  const Pipelines& pipelines_;
  Push push_;
  std::shared_ptr<spdlog::logger> log_;
  DeadLetterStore store_;
};

}  // namespace coyote::host::jobs
