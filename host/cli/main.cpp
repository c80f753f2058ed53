// The `coyote` binary.
#include "cli/allocator.hpp"
#include "cli/app.hpp"

int main(int argc, char** argv) {
  return coyote::host::cli::run(argc, argv, coyote::host::cli::allocator_in_use());
}
