// PackedMessage: a buffered memory-pipeline job held in as few bytes as it can be.
#pragma once

#include <coyote/sdk/message.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace coyote::drivers::memory {

/// A paused pipeline may hold millions of jobs, so a waiting job is not kept as an sdk::Message
/// (280 bytes of fixed fields, most of them empty for this driver, plus a heap block per string
/// past the small-string buffer). Here id and name share one heap block, the payload keeps the
/// string it arrived in, and the header map exists only when the job has headers: 72 bytes plus
/// two allocations per job.
///
/// Why the payload is not packed with id and name (as it was until issue 20): copying it into
/// the block at push and out again at delivery cost an allocation, a free and a copy of the
/// whole payload each way (~550 instructions per 100-byte job, callgrind,
/// docs/architecture.md). Moving the string costs nothing; the price is its 32-byte string
/// object and its own heap block's header, ~45 bytes per waiting job (bench: bytes per queued
/// job), well inside the 200-byte budget.
///
/// Kept: everything the memory driver delivers (id, name, payload, headers, priority, auto_ack).
/// Dropped: the pipeline name (the core knows it), delay (already applied by the time a job is
/// packed) and the Kafka-only options, which RoadRunner's memory driver drops too.
class PackedMessage {
 public:
  PackedMessage() = default;
  /// Takes `message`'s payload and headers; its other fields are left as they were, for the
  /// caller to discard (resetting the whole Message cost ~100 instructions per pushed job).
  static PackedMessage pack(sdk::Message&& message, bool delayed);

  /// Rebuilds the message for `pipeline`; this object is empty afterwards.
  [[nodiscard]] sdk::Message unpack(const std::string& pipeline);
  /// The same into `out` (a fresh message), so a job record can be filled where it lies.
  void unpack_into(sdk::Message& out, const std::string& pipeline);

  [[nodiscard]] bool delayed() const noexcept { return delayed_; }
  [[nodiscard]] std::string_view id() const noexcept { return {bytes_.get(), id_size_}; }
  [[nodiscard]] std::string_view name() const noexcept {
    return {bytes_.get() + id_size_, name_size_};
  }
  [[nodiscard]] std::string_view payload() const noexcept { return payload_; }

 private:
  std::unique_ptr<char[]> bytes_;  ///< id and name back to back
  std::string payload_;
  std::unique_ptr<sdk::Headers> headers_;
  std::int64_t priority_ = 0;
  std::uint32_t id_size_ = 0;
  std::uint32_t name_size_ = 0;
  bool auto_ack_ = false;
  bool delayed_ = false;
};

}  // namespace coyote::drivers::memory
