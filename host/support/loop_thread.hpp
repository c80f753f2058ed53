// The loop thread: the one thread the host's components run on, and a debug check of the rule.
#pragma once

namespace coyote::host::support {

/// Makes the calling thread the loop thread: the one that runs the io_context and calls every
/// Engine, Dispatcher and WorkerPool method (docs/architecture.md, Threading). `coyote serve`
/// calls it once, before it builds anything.
void set_loop_thread() noexcept;

/// True on the loop thread, or when none was set (a component used alone, as unit tests do).
[[nodiscard]] bool on_loop_thread() noexcept;

}  // namespace coyote::host::support

/// At the top of a loop-confined component's entry points: in debug builds, aborts with the rule
/// when called from another thread (a driver's thread must go through Queue or a Completion).
/// Compiled out with NDEBUG.
#ifdef NDEBUG
#define COYOTE_ASSERT_LOOP_THREAD() ((void)0)
#else
#include <cassert>
#define COYOTE_ASSERT_LOOP_THREAD()                                                       \
  assert(::coyote::host::support::on_loop_thread() &&                                     \
         "called off the host's loop thread: Engine, Dispatcher and WorkerPool are loop-" \
         "confined; a driver's thread reaches the host through Queue and Completions only")
#endif
