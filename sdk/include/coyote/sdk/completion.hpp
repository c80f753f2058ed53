// Completion: how a driver reports the outcome of an operation it finishes later.
#pragma once

#include <coyote/sdk/status.hpp>

#include <functional>

namespace coyote::sdk {

/// Called exactly once with the outcome. A driver may call it from any thread (its broker I/O
/// thread, its group-commit writer) and even before the call that received it has returned (a
/// driver that accepts synchronously); the host moves the result onto its loop thread itself.
/// Calling it twice, or never, is a driver bug: the producer's RPC reply waits for it.
using Completion = std::function<void(Status)>;

}  // namespace coyote::sdk
