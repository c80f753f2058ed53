// DeadLetters: the dead-letter operations the RPC layer needs, header-only so that coyote_rpc
// does not link coyote_jobs.
#pragma once

#include <coyote/sdk/message.hpp>
#include <coyote/sdk/status.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::jobs {

/// Headers a dead job carries (in the store and when listed); replay removes them again.
inline constexpr std::string_view kDeadReasonHeader = "X-Coyote-Dead-Reason";
inline constexpr std::string_view kOriginHeader = "X-Coyote-Origin-Pipeline";
inline constexpr std::string_view kAttemptsHeader = "X-Coyote-Attempts";
inline constexpr std::string_view kDeadAtHeader = "X-Coyote-Dead-At";

struct DeadJob {
  sdk::Message message;  ///< as it was last delivered, plus the X-Coyote-Dead-* headers
  std::string origin;    ///< the pipeline it failed in
  std::int64_t attempts = 0;
  std::string last_error;
  std::chrono::system_clock::time_point dead_at;
};

/// Implemented by the DeadLetterOffice (Engine::dead_letters()). Loop thread only. `store` is a
/// `dead_letter:` value.
class DeadLetters {
 public:
  using Done = std::function<void(sdk::Status)>;
  virtual ~DeadLetters() = default;
  /// The default store, every store named by a pipeline's dead_letter and every store found in
  /// the dead-letter file, empty or not.
  [[nodiscard]] virtual std::vector<std::string> dead_stores() const = 0;
  /// Oldest first; empty for an unknown store.
  [[nodiscard]] virtual std::vector<DeadJob> dead_list(std::string_view store) const = 0;
  /// Pushes the dead job back into its origin pipeline with its attempt count reset (the
  /// X-Coyote-* delivery headers removed). On failure the job stays dead.
  /// `done` runs on the loop once the origin pipeline's driver holds the job (or refused it).
  virtual void dead_replay(std::string_view store, std::string_view id, Done done) = 0;
  virtual void dead_delete(std::string_view store, std::string_view id, Done done) = 0;
};

}  // namespace coyote::host::jobs
