// LossReport: the file that names the jobs a memory pipeline drops when it is stopped.
#pragma once

#include <coyote/sdk/result.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::drivers::memory {

/// The memory driver keeps nothing across a stop (shutdown or jobs.Destroy): what it still held
/// is lost, so it is named. One line per job, `id<TAB>job<TAB>state` (state: waiting, delayed),
/// control characters escaped as \xNN so an id cannot forge a line. Written to $TMPDIR (else
/// /tmp) as coyote-memory-<pid>-<pipeline>-<n>.lost, mode 0600 (ids may be sensitive).
class LossReport {
 public:
  explicit LossReport(std::string_view pipeline) : pipeline_(pipeline) {}

  void add(std::string_view id, std::string_view name, std::string_view state);
  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  /// Writes the file; its path, or why it could not be written.
  [[nodiscard]] sdk::Result<std::string> write() const;

 private:
  std::string pipeline_;
  std::string lines_;
  std::size_t count_ = 0;
};

}  // namespace coyote::drivers::memory
