#include "goridge/frame_buffer.hpp"

#include <algorithm>
#include <cstring>

namespace coyote::host::goridge {

std::size_t FrameBuffer::space_wanted(std::size_t min_size) const noexcept {
  const std::size_t pending = end_ - begin_;
  if (wanted_ <= pending + min_size) return min_size;
  // Doubling what has arrived keeps the copies linear in the frame size and the memory within
  // twice what the peer really sent, whatever size its header claims.
  return std::min(wanted_ - pending, std::max(pending, min_size));
}

std::size_t FrameBuffer::capacity_after_prepare(std::size_t min_size) const noexcept {
  const std::size_t pending = end_ - begin_;
  const std::size_t want = space_wanted(min_size);
  if (pending == 0 && wanted_ == 0 && data_.size() > 4 * min_size) return min_size;
  if (data_.size() - end_ >= want || data_.size() - pending >= want) return data_.capacity();
  return std::max(data_.capacity(), pending + want);
}

std::span<std::uint8_t> FrameBuffer::prepare(std::size_t min_size) {
  if (begin_ == end_) {
    begin_ = end_ = 0;
    if (data_.size() > 4 * min_size && wanted_ == 0) {
      data_.resize(min_size);
      data_.shrink_to_fit();
    }
  }
  const std::size_t pending = end_ - begin_;
  const std::size_t want = space_wanted(min_size);
  if (data_.size() - end_ < want) {
    // Compact first: consumed frames at the front are dead space.
    if (begin_ != 0) {
      std::memmove(data_.data(), data_.data() + begin_, pending);
      begin_ = 0;
      end_ = pending;
    }
    if (data_.size() - end_ < want) {
      // Exactly what is needed: the growth above is already geometric, and the capacity is
      // what owners account.
      data_.reserve(end_ + want);
      data_.resize(end_ + want);
    }
  }
  return {data_.data() + end_, data_.size() - end_};
}

void FrameBuffer::release() noexcept {
  if (begin_ != end_) return;
  begin_ = end_ = 0;
  Bytes().swap(data_);
}

void FrameBuffer::append(std::span<const std::uint8_t> bytes) {
  auto space = prepare(bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

sdk::Result<std::optional<FrameBuffer::Frame>> FrameBuffer::next() {
  if (problem_ != ParseProblem::kNone) return broken_;
  const std::span<const std::uint8_t> avail{data_.data() + begin_, end_ - begin_};
  auto parsed = parse_header(avail, max_payload_);
  if (parsed.status == ParseStatus::kInvalid) {
    problem_ = parsed.problem;
    broken_ = sdk::Status::error(std::move(parsed.error));
    return broken_;
  }
  if (parsed.status == ParseStatus::kNeedMore) {
    wanted_ = parsed.needed;
    return std::optional<Frame>{};
  }
  const std::size_t total = parsed.header.frame_size();
  if (avail.size() < total) {
    wanted_ = total;
    return std::optional<Frame>{};
  }
  Frame frame{parsed.header, std::string_view(reinterpret_cast<const char*>(avail.data()) +
                                                  parsed.header.header_size(),
                                              parsed.header.payload_length)};
  begin_ += total;
  wanted_ = 0;
  return std::optional<Frame>{frame};
}

}  // namespace coyote::host::goridge
