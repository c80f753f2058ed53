#include "amqp/ack_window.hpp"

namespace coyote::drivers::amqp {

void AckWindow::delivered(std::uint64_t tag) {
  if (slots_.empty() && tag > base_) base_ = tag;
  while (base_ + slots_.size() < tag) slots_.push_back(Slot::kSettled);  // a gap: nothing to ack
  if (tag < base_ + slots_.size()) return;  // duplicate or out of order: ignore
  slots_.push_back(Slot::kOutstanding);
  ++outstanding_;
}

AckWindow::Slot* AckWindow::find(std::uint64_t tag) {
  if (tag < base_ || tag >= base_ + slots_.size()) return nullptr;
  return &slots_[tag - base_];
}

bool AckWindow::ack(std::uint64_t tag) {
  Slot* slot = find(tag);
  if (slot == nullptr || *slot != Slot::kOutstanding) return false;
  *slot = Slot::kAcked;
  --outstanding_;
  ++unflushed_;
  return true;
}

bool AckWindow::settled(std::uint64_t tag) {
  Slot* slot = find(tag);
  if (slot == nullptr || *slot != Slot::kOutstanding) return false;
  *slot = Slot::kSettled;
  --outstanding_;
  return true;
}

void AckWindow::settled_up_to(std::uint64_t tag) {
  while (!slots_.empty() && base_ <= tag) {
    if (slots_.front() == Slot::kOutstanding) --outstanding_;
    if (slots_.front() == Slot::kAcked) --unflushed_;
    slots_.pop_front();
    ++base_;
  }
  if (slots_.empty() && base_ <= tag) base_ = tag + 1;
}

std::uint64_t AckWindow::stragglers() const noexcept {
  // As flush() counts its front run: settled slots at the very front, then acked ones.
  auto it = slots_.begin();
  while (it != slots_.end() && *it == Slot::kSettled) ++it;
  std::uint64_t front = 0;
  for (; it != slots_.end() && *it == Slot::kAcked; ++it) ++front;
  return unflushed_ - front;
}

AckWindow::Flush AckWindow::flush(bool stragglers) {
  Flush out;
  // The acked run at the front: one multiple=true ack. Settled (nacked) slots at the very
  // front are dropped first; a settled slot inside the run ends it, since a multiple ack would
  // cover it.
  while (!slots_.empty() && slots_.front() == Slot::kSettled) {
    slots_.pop_front();
    ++base_;
  }
  if (unflushed_ == 0) return out;
  std::uint64_t run = 0;
  while (!slots_.empty() && slots_.front() == Slot::kAcked) {
    slots_.pop_front();
    ++base_;
    ++run;
  }
  unflushed_ -= run;
  if (run == 1) {
    out.singles.push_back(base_ - 1);
  } else if (run > 1) {
    out.multiple_up_to = base_ - 1;
  }
  // Acked tags further back go out one by one now; the slots become settled.
  for (std::size_t i = 0; stragglers && i < slots_.size() && unflushed_ > 0; ++i) {
    if (slots_[i] == Slot::kAcked) {
      out.singles.push_back(base_ + i);
      slots_[i] = Slot::kSettled;
      --unflushed_;
    }
  }
  while (!slots_.empty() && slots_.front() == Slot::kSettled) {
    slots_.pop_front();
    ++base_;
  }
  return out;
}

void AckWindow::reset() {
  base_ = 1;
  slots_.clear();
  outstanding_ = 0;
  unflushed_ = 0;
}

}  // namespace coyote::drivers::amqp
