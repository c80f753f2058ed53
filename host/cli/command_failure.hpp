// Exit codes of the client commands, and fail(): how a command reports an error and ends.
#pragma once

#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

namespace coyote::host::cli {

inline constexpr int kExitServiceError = 1;  ///< the server answered with an error
inline constexpr int kExitUsage = 2;         ///< bad arguments or config file
inline constexpr int kExitConnect = 3;       ///< the RPC server could not be reached

/// Prints "coyote: MESSAGE" to stderr and ends the command with exit status `code`: it throws
/// CLI::RuntimeError(code), which CLI11 turns into the return value of run() without printing.
[[noreturn]] inline void fail(int code, const std::string& message) {
  std::cerr << "coyote: " << message << '\n';
  throw CLI::RuntimeError(code);
}

}  // namespace coyote::host::cli
