// guarded_call: the host's one exception barrier around plugin code.
#pragma once

#include <coyote/sdk/driver.hpp>
#include <coyote/sdk/job.hpp>
#include <coyote/sdk/status.hpp>

#include <exception>
#include <string>
#include <string_view>
#include <type_traits>

namespace coyote::host::support {

// Destructors of drivers and jobs run plugin code too, but need no guard: the SDK's virtual
// destructors are noexcept, so no override can throw (a throw inside one terminates, by the
// language, whatever the caller catches).
static_assert(std::is_nothrow_destructible_v<sdk::Driver>);
static_assert(std::is_nothrow_destructible_v<sdk::Job>);
static_assert(std::is_nothrow_destructible_v<sdk::DriverConstructor>);

/// Runs `call` (plugin code returning sdk::Status) and turns any exception it throws into a
/// Status error "<context>: <what> threw: <message>", so a plugin's failure is that plugin's
/// error and never unwinds the host's loop. `context` is a string, or a callable returning one
/// that runs only when something was thrown (so the hot path builds no text).
///
/// Call it exactly where the host calls into a plugin, and only there: GuardedDriver (every
/// Driver method), the registry's driver construction, the dispatcher (Job::write_context),
/// the response handler (Job acknowledgements) and the queue (a driver's on_room callback).
template <typename Context, typename Call>
sdk::Status guarded_call(const Context& context, std::string_view what, Call&& call) noexcept {
  const auto describe = [&]() -> std::string {
    if constexpr (std::is_invocable_v<const Context&>) {
      return std::string(context());
    } else {
      return std::string(context);
    }
  };
  try {
    return call();
  } catch (const std::exception& e) {
    try {
      return sdk::Status::error(describe() + ": " + std::string(what) + " threw: " + e.what());
    } catch (...) {
      return sdk::Status::error("plugin exception (out of memory while reporting it)");
    }
  } catch (...) {
    try {
      return sdk::Status::error(describe() + ": " + std::string(what) +
                                " threw a non-standard exception");
    } catch (...) {
      return sdk::Status::error("plugin exception (out of memory while reporting it)");
    }
  }
}

}  // namespace coyote::host::support
