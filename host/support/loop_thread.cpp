#include "support/loop_thread.hpp"

#include <atomic>
#include <thread>

namespace coyote::host::support {
namespace {

// Default-constructed: "no loop thread set", which on_loop_thread() accepts.
// The one mutable global the rule needs: set once by serve, read by every assertion.
std::atomic<std::thread::id>
    loop_thread{};  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

}  // namespace

void set_loop_thread() noexcept { loop_thread.store(std::this_thread::get_id()); }

bool on_loop_thread() noexcept {
  const std::thread::id loop = loop_thread.load(std::memory_order_relaxed);
  return loop == std::thread::id{} || loop == std::this_thread::get_id();
}

}  // namespace coyote::host::support
