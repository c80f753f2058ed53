// AckWindow: turns per-job acks into as few basic.ack frames as possible, without changing what
// is acknowledged.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

namespace coyote::drivers::amqp {

/// Delivery tags on one channel are 1, 2, 3, ... in delivery order. The window tracks the tags
/// not yet settled; flush() returns one basic.ack(multiple=true) for the longest run of acked
/// tags at the front (it covers exactly those tags, all acked individually by the host), and,
/// when asked, single acks for the stragglers: acked tags behind a tag still in flight. The
/// caller asks for those only when the front has been stuck for a while (a long job), so that
/// it never shrinks the prefetch window for long, and otherwise lets the next multiple ack
/// cover them: with several workers the front is nearly always in flight, and sending every
/// straggler alone cost one frame per job (the broker's CPU per job, measured, doc'd in
/// docs/broker-drivers.md). Nacks are sent by the caller at once and only marked settled here.
/// One owner thread; reset() for a new channel.
class AckWindow {
 public:
  struct Flush {
    std::uint64_t multiple_up_to = 0;    ///< 0: none; else basic.ack(tag, multiple=true)
    std::vector<std::uint64_t> singles;  ///< basic.ack(tag, multiple=false) each
  };

  /// A delivery arrived (tags must come in increasing order; gaps are treated as settled).
  void delivered(std::uint64_t tag);
  /// The host acked `tag`; false when the tag is unknown or already settled.
  bool ack(std::uint64_t tag);
  /// `tag` was settled some other way (nack sent); false when unknown or already settled.
  bool settled(std::uint64_t tag);
  /// Everything up to and including `tag` was settled by one multiple=true frame.
  void settled_up_to(std::uint64_t tag);
  /// The acks to send now; the window forgets them. Stragglers are left for a later flush
  /// unless `stragglers` is true.
  Flush flush(bool stragglers = true);
  /// Acked tags behind the first tag still in flight (what flush(false) leaves).
  [[nodiscard]] std::uint64_t stragglers() const noexcept;
  void reset();

  /// The oldest tag not yet settled (or the next one expected): moves when the front settles.
  [[nodiscard]] std::uint64_t front() const noexcept { return base_; }
  /// Deliveries not yet acked or nacked.
  [[nodiscard]] std::uint64_t outstanding() const noexcept { return outstanding_; }
  /// Acks recorded and not yet returned by flush().
  [[nodiscard]] std::uint64_t unflushed() const noexcept { return unflushed_; }

 private:
  enum class Slot : std::uint8_t { kOutstanding, kAcked, kSettled };
  Slot* find(std::uint64_t tag);

  std::uint64_t base_ = 1;  // tag of slots_.front()
  std::deque<Slot> slots_;
  std::uint64_t outstanding_ = 0;
  std::uint64_t unflushed_ = 0;  // acked, not yet returned by flush()
};

}  // namespace coyote::drivers::amqp
