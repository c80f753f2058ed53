#include "worker/frame_buffer.hpp"

#include <algorithm>
#include <cstring>

namespace coyote::host::worker {

std::span<std::uint8_t> FrameBuffer::prepare(std::size_t min_size) {
  if (begin_ == end_) begin_ = end_ = 0;
  const std::size_t pending = end_ - begin_;
  const std::size_t want = std::max(min_size, wanted_ > pending ? wanted_ - pending : 0);
  if (data_.size() - end_ < want) {
    // Compact first: consumed frames at the front are dead space.
    if (begin_ != 0) {
      std::memmove(data_.data(), data_.data() + begin_, pending);
      begin_ = 0;
      end_ = pending;
    }
    if (data_.size() - end_ < want) data_.resize(end_ + want);
  }
  return {data_.data() + end_, data_.size() - end_};
}

void FrameBuffer::append(std::span<const std::uint8_t> bytes) {
  auto space = prepare(bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

FrameBuffer::Result FrameBuffer::next(Frame& out, std::string& error) {
  if (!broken_.empty()) {
    error = broken_;
    return Result::kInvalid;
  }
  const std::span<const std::uint8_t> avail{data_.data() + begin_, end_ - begin_};
  auto parsed = goridge::parse_header(avail, max_payload_);
  if (parsed.status == goridge::ParseStatus::kInvalid) {
    // RoadRunner's wording (spec 1.4): on a worker pipe a bad CRC nearly always means user code
    // wrote to stdout, which is the one hint the user needs.
    broken_ = parsed.problem == goridge::ParseProblem::kBadCrc
                  ? "validation failed on the message sent to STDOUT, see: "
                    "https://docs.roadrunner.dev/error-codes/stdout-crc (did the worker print to "
                    "stdout?), " +
                        parsed.error
                  : parsed.error;
    error = broken_;
    return Result::kInvalid;
  }
  if (parsed.status == goridge::ParseStatus::kNeedMore) {
    wanted_ = parsed.needed;
    return Result::kNeedMore;
  }
  const std::size_t total = parsed.header.frame_size();
  if (avail.size() < total) {
    wanted_ = total;
    return Result::kNeedMore;
  }
  out.header = parsed.header;
  out.payload =
      std::string_view(reinterpret_cast<const char*>(avail.data()) + parsed.header.header_size(),
                       parsed.header.payload_length);
  begin_ += total;
  wanted_ = 0;
  return Result::kFrame;
}

}  // namespace coyote::host::worker
