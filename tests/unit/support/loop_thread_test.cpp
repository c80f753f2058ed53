#include "support/loop_thread.hpp"

#include <catch2/catch.hpp>

#include <thread>

using coyote::host::support::on_loop_thread;
using coyote::host::support::set_loop_thread;

namespace {

bool on_loop_from_another_thread() {
  bool result = true;
  std::thread other([&] { result = on_loop_thread(); });
  other.join();
  return result;
}

}  // namespace

TEST_CASE("the loop thread is the one that set it; any thread passes until one does", "[support]") {
  // Before set_loop_thread (a component used alone, as in the other unit tests): no rule yet.
  CHECK(on_loop_thread());
  CHECK(on_loop_from_another_thread());
  set_loop_thread();
  CHECK(on_loop_thread());
  CHECK_FALSE(on_loop_from_another_thread());
}
