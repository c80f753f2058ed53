// FrameBuffer: a growable read buffer that yields complete goridge frames from a byte stream.
#pragma once

#include "goridge/frame.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::worker {

/// Bytes go in with prepare()/commit() (read_some straight into the buffer) or append(); whole
/// frames come out of next(). Parsing never copies a payload: the view points into the buffer.
class FrameBuffer {
 public:
  struct Frame {
    goridge::Header header;
    std::string_view payload;  ///< valid until the next prepare()/append()
  };
  enum class Result { kFrame, kNeedMore, kInvalid };

  explicit FrameBuffer(std::uint32_t max_payload) : max_payload_(max_payload) {}

  /// Writable space of at least `min_size` bytes (more when a large frame is pending).
  std::span<std::uint8_t> prepare(std::size_t min_size = 64 * 1024);
  void commit(std::size_t n) noexcept { end_ += n; }
  void append(std::span<const std::uint8_t> bytes);

  /// The next complete frame, kNeedMore, or kInvalid with `error` set (the stream is then
  /// unusable: the buffer keeps returning kInvalid).
  Result next(Frame& out, std::string& error);

  [[nodiscard]] std::size_t buffered() const noexcept { return end_ - begin_; }

 private:
  std::uint32_t max_payload_;
  std::vector<std::uint8_t> data_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t wanted_ = 0;  ///< size of the frame being assembled, so prepare() can make room once
  std::string broken_;
};

}  // namespace coyote::host::worker
