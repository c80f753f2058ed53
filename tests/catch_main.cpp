// The unit tests' main: Catch2's, after the process-wide setting `coyote serve` makes first.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <csignal>

int main(int argc, char* argv[]) {
  // As in serve: a worker that dies while we write its stdin is an EPIPE, not a SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  return Catch::Session().run(argc, argv);
}
