#include "memory/packed_message.hpp"

#include <cstring>
#include <limits>
#include <stdexcept>
#include <utility>

namespace coyote::drivers::memory {
namespace {

std::uint32_t checked_size(const std::string& s, const char* what) {
  // Goridge frames carry 32-bit lengths, so a larger field could never reach a worker anyway.
  if (s.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw std::length_error(std::string("job ") + what + " is larger than 4 GiB");
  }
  return static_cast<std::uint32_t>(s.size());
}

// Beyond this, a payload's spare capacity is given back when the job is packed: more than a
// malloc chunk's rounding, less than what a string grown by doubling usually keeps.
constexpr std::size_t kMaxSparePayloadCapacity = 32;

}  // namespace

PackedMessage PackedMessage::pack(sdk::Message&& message, bool delayed) {
  PackedMessage p;
  p.id_size_ = checked_size(message.id, "id");
  p.name_size_ = checked_size(message.name, "name");
  (void)checked_size(message.payload, "payload");
  const std::size_t total = std::size_t{p.id_size_} + p.name_size_;
  if (total > 0) {
    p.bytes_ = std::make_unique_for_overwrite<char[]>(total);
    char* out = p.bytes_.get();
    std::memcpy(out, message.id.data(), p.id_size_);
    std::memcpy(out + p.id_size_, message.name.data(), p.name_size_);
  }
  // A producer's string may carry spare capacity (grown by appends): a waiting job keeps only
  // its bytes, so a million queued jobs cost what their payloads weigh.
  if (message.payload.capacity() - message.payload.size() > kMaxSparePayloadCapacity) {
    message.payload.shrink_to_fit();
  }
  p.payload_ = std::move(message.payload);
  if (!message.headers.empty()) {
    p.headers_ = std::make_unique<sdk::Headers>(std::move(message.headers));
  }
  p.priority_ = message.options.priority;
  p.auto_ack_ = message.options.auto_ack;
  p.delayed_ = delayed;
  return p;
}

sdk::Message PackedMessage::unpack(const std::string& pipeline) {
  sdk::Message m;
  unpack_into(m, pipeline);
  return m;
}

void PackedMessage::unpack_into(sdk::Message& out, const std::string& pipeline) {
  out.id.assign(id());
  out.name.assign(name());
  out.payload = std::move(payload_);
  if (headers_) out.headers = std::move(*headers_);
  out.options.pipeline = pipeline;
  out.options.priority = priority_;
  out.options.auto_ack = auto_ack_;
  *this = PackedMessage{};
}

}  // namespace coyote::drivers::memory
