// FrameBuffer: a growable read buffer that yields complete goridge frames from a byte stream.
#pragma once

#include "goridge/frame.hpp"

#include <coyote/sdk/result.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace coyote::host::goridge {

/// The one frame reader of every goridge transport: worker pipes, the RPC server's connections
/// and the RPC client. Bytes go in with prepare()/commit() (read_some straight into the buffer)
/// or append(); whole frames come out of next(). Parsing never copies a payload: the view points
/// into the buffer. A stream that breaks stays broken; problem() says which rule it broke, so
/// each transport can word its own hint (a worker that printed to stdout is not the same story
/// as a client that is not speaking goridge).
class FrameBuffer {
 public:
  struct Frame {
    Header header;
    std::string_view payload;  ///< valid until the next prepare()/append()
  };

  /// `max_payload` is checked from each header, before any of that frame's payload is buffered.
  explicit FrameBuffer(std::uint32_t max_payload) : max_payload_(max_payload) {}

  /// Writable space of at least `min_size` bytes. While a frame larger than that is pending the
  /// space grows towards it, but never by more than the bytes already buffered: memory follows
  /// what a peer has sent, not what its header announces (a 20-byte header declaring 64 MiB
  /// costs `min_size`, not 64 MiB). When the buffer is empty and one big frame made it grow past
  /// 4 × `min_size`, the memory is given back first.
  std::span<std::uint8_t> prepare(std::size_t min_size = kReadSize);
  /// The capacity prepare(min_size) would leave the buffer with (equal to capacity() when it
  /// needs no growth), so a caller that accounts memory can refuse the growth first.
  [[nodiscard]] std::size_t capacity_after_prepare(std::size_t min_size = kReadSize) const noexcept;
  void commit(std::size_t n) noexcept { end_ += n; }
  void append(std::span<const std::uint8_t> bytes);

  /// The next complete frame, nullopt when more bytes are needed, or the error that made the
  /// stream unusable (returned again on every later call).
  [[nodiscard]] sdk::Result<std::optional<Frame>> next();
  /// Why next() failed; ParseProblem::kNone while the stream is fine.
  [[nodiscard]] ParseProblem problem() const noexcept { return problem_; }

  [[nodiscard]] std::size_t buffered() const noexcept { return end_ - begin_; }
  /// Bytes still to arrive for the frame being assembled, known once next() has read its
  /// header; 0 when no frame is partly here or its header is not whole yet.
  [[nodiscard]] std::size_t missing() const noexcept {
    return wanted_ > buffered() && buffered() != 0 ? wanted_ - buffered() : 0;
  }
  /// Bytes of memory the buffer holds (what an owner accounts against its limits).
  [[nodiscard]] std::size_t capacity() const noexcept { return data_.capacity(); }
  /// Frees the memory when nothing is buffered (an idle connection then holds none).
  void release() noexcept;

  static constexpr std::size_t kReadSize = std::size_t{64} * 1024;

 private:
  // resize() leaves the new bytes as they are instead of zeroing them: a read overwrites them
  // next (zeroing cost ~170 instructions per pushed job, profile of issue 20).
  struct UninitializedBytes : std::allocator<std::uint8_t> {
    template <typename U>
    struct rebind {
      using other = std::conditional_t<std::is_same_v<U, std::uint8_t>, UninitializedBytes,
                                       std::allocator<U>>;
    };
    template <typename U, typename... Args>
    void construct(U* p, Args&&... args) {
      if constexpr (sizeof...(Args) == 0) {
        ::new (static_cast<void*>(p)) U;
      } else {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
      }
    }
  };
  using Bytes = std::vector<std::uint8_t, UninitializedBytes>;

  std::uint32_t max_payload_;
  Bytes data_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t wanted_ = 0;  ///< size of the frame being assembled, so prepare() can make room once
  ParseProblem problem_ = ParseProblem::kNone;
  sdk::Status broken_;

  /// Bytes of writable space prepare(min_size) must provide after compaction.
  [[nodiscard]] std::size_t space_wanted(std::size_t min_size) const noexcept;
};

}  // namespace coyote::host::goridge
