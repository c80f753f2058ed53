#include "cli/allocator.hpp"

#include <cstdlib>

#ifdef COYOTE_MIMALLOC
#include <mimalloc.h>
#endif

namespace coyote::host::cli {

std::string allocator_in_use() {
#ifdef COYOTE_MIMALLOC
  // Linking mimalloc is not enough to be served by it: a linker dropping unused libraries or a
  // dependency loaded before it could leave glibc's malloc in charge. Ask it whether a block that
  // the C library's entry point returned is its own (calloc: a read block is a defined one).
  void* probe = std::calloc(1, 16);  // NOLINT(cppcoreguidelines-no-malloc): malloc is probed
  const bool ours = mi_is_in_heap_region(probe);
  std::free(probe);  // NOLINT(cppcoreguidelines-no-malloc)
  if (ours) {
    const int v = mi_version();  // 209 for 2.0.9
    return "mimalloc " + std::to_string(v / 100) + "." + std::to_string(v / 10 % 10) + "." +
           std::to_string(v % 10);
  }
  return "not mimalloc (it is linked, but another allocator serves malloc)";
#else
  return "system";
#endif
}

}  // namespace coyote::host::cli
