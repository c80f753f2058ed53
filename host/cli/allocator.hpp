// Which allocator serves this process's malloc, as `coyote --version` reports it.
#pragma once

#include <string>

namespace coyote::host::cli {

/// "mimalloc 2.0.9" when mimalloc really serves malloc; "system" in a build without it; a
/// sentence saying so when it is linked but another allocator serves malloc. Only the `coyote`
/// executable defines it (allocator.cpp is compiled there, with the allocator cmake chose), so a
/// test linking the command line library reports nothing it did not check.
[[nodiscard]] std::string allocator_in_use();

}  // namespace coyote::host::cli
