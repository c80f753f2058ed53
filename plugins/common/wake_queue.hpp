// WakeQueue: commands from any thread to one I/O thread that polls a socket and this queue's fd.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <system_error>
#include <utility>
#include <vector>

namespace coyote::drivers::common {

/// The pattern every broker driver uses: a client library connection is not thread-safe, so one
/// thread owns it, and every other thread (the host's loop calling push/ack, on_room callbacks)
/// hands it work through this queue. The owner polls fd() for POLLIN next to the broker socket,
/// then take_all() runs everything that arrived, in order. push() never blocks on I/O (one short
/// mutex, at most one eventfd write per batch), so host calls stay non-blocking as the SDK asks.
template <typename T>
class WakeQueue {
 public:
  WakeQueue() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  }
  ~WakeQueue() { ::close(fd_); }
  WakeQueue(const WakeQueue&) = delete;
  WakeQueue& operator=(const WakeQueue&) = delete;
  WakeQueue(WakeQueue&&) = delete;
  WakeQueue& operator=(WakeQueue&&) = delete;

  /// Any thread. Wakes the owner only when it has not been woken since its last take_all().
  void push(T item) {
    bool wake = false;
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(item));
      wake = !signalled_;
      signalled_ = true;
    }
    if (wake) {
      const std::uint64_t one = 1;
      // EAGAIN means the counter is already non-zero: the owner is woken either way.
      [[maybe_unused]] const auto n = ::write(fd_, &one, sizeof one);
    }
  }

  /// Like push(), but does not wake the owner while it is ticking (it promised, through
  /// set_ticking(true), to call take_all() within its tick anyway), unless `wake_at` items are
  /// waiting. For work that may wait that long, such as acknowledgements the owner batches: it
  /// saves a wake-up per item under load, and a full batch still goes out at once.
  void push_lazy(T item, std::size_t wake_at) {
    bool wake = false;
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(item));
      wake = (!ticking_ || items_.size() >= wake_at) && !signalled_;
      if (wake) signalled_ = true;
    }
    if (wake) {
      const std::uint64_t one = 1;
      [[maybe_unused]] const auto n = ::write(fd_, &one, sizeof one);
    }
  }

  /// Owner thread, before it sleeps: `ticking` promises a take_all() within its tick, so lazy
  /// pushes need not wake it. Returns true when items are already waiting (do not sleep then).
  /// Under the same lock as push_lazy(), so no lazy item can slip in unseen when the owner stops
  /// ticking.
  bool set_ticking(bool ticking) {
    std::lock_guard lock(mutex_);
    ticking_ = ticking;
    return !items_.empty();
  }

  /// Owner thread: everything pushed so far, oldest first (into `out`, which is cleared first).
  void take_all(std::vector<T>& out) {
    out.clear();
    // Reset the eventfd before taking: a push that lands after the swap then writes it again
    // (signalled_ is false by then), so no item can wait without a wake-up.
    std::uint64_t count = 0;
    [[maybe_unused]] const auto n = ::read(fd_, &count, sizeof count);
    std::lock_guard lock(mutex_);
    out.swap(items_);
    signalled_ = false;
  }

  /// Readable (POLLIN) while items wait.
  [[nodiscard]] int fd() const noexcept { return fd_; }

 private:
  int fd_;
  std::mutex mutex_;
  std::vector<T> items_;
  bool signalled_ = false;
  bool ticking_ = false;
};

}  // namespace coyote::drivers::common
