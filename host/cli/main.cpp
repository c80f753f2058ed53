// The `coyote` binary.
#include "cli/app.hpp"

int main(int argc, char** argv) { return coyote::host::cli::run(argc, argv); }
