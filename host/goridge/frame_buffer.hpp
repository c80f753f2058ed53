// FrameBuffer: a growable read buffer that yields complete goridge frames from a byte stream.
#pragma once

#include "goridge/frame.hpp"

#include <coyote/sdk/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
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

  /// Writable space of at least `min_size` bytes (more when a large frame is pending). When the
  /// buffer is empty and one big frame made it grow past 4 × `min_size`, the memory is given
  /// back first.
  std::span<std::uint8_t> prepare(std::size_t min_size = kReadSize);
  void commit(std::size_t n) noexcept { end_ += n; }
  void append(std::span<const std::uint8_t> bytes);

  /// The next complete frame, nullopt when more bytes are needed, or the error that made the
  /// stream unusable (returned again on every later call).
  [[nodiscard]] sdk::Result<std::optional<Frame>> next();
  /// Why next() failed; ParseProblem::kNone while the stream is fine.
  [[nodiscard]] ParseProblem problem() const noexcept { return problem_; }

  [[nodiscard]] std::size_t buffered() const noexcept { return end_ - begin_; }

  static constexpr std::size_t kReadSize = std::size_t{64} * 1024;

 private:
  std::uint32_t max_payload_;
  std::vector<std::uint8_t> data_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t wanted_ = 0;  ///< size of the frame being assembled, so prepare() can make room once
  ParseProblem problem_ = ParseProblem::kNone;
  sdk::Status broken_;
};

}  // namespace coyote::host::goridge
