// Hidden measurement (run with: test_worker "[.bench]"): sequential no-op round trips over one
// pipe. Prints the mean; asserts nothing about speed.
#include "worker/worker_pool.hpp"

#include <boost/asio/post.hpp>

#include <catch2/catch.hpp>

#include <cstdio>

#include "unit/worker/worker_test_support.hpp"

using namespace coyote::host::worker;
using namespace coyote::test;

TEST_CASE("round trip of sequential no-op jobs over one pipe", "[.bench]") {
  const std::string which = GENERATE(as<std::string>{}, "python", "php");
  constexpr int kJobs = 5000;
  boost::asio::io_context io;
  WorkerPool pool(io, test_pool(1), server(which == "php" ? php_worker() : python_worker()));
  pool.start();
  REQUIRE(run_until(io, [&] { return pool.ready_count() == 1; }));
  pool.on_worker_ready([] {});
  int done = 0;
  int ok = 0;
  std::function<void()> next = [&] {
    pool.try_exec(R"({"id":"1","job":"t","driver":"memory","headers":{},"pipeline":"p"})", "x",
                  [&](ExecOutcome o) {
                    ++done;
                    if (o.kind == ExecOutcome::Kind::kResponse) ++ok;
                    if (done < kJobs) boost::asio::post(io, next);
                  });
  };
  const auto start = std::chrono::steady_clock::now();
  next();
  REQUIRE(run_until(
      io, [&] { return done == kJobs; }, std::chrono::seconds(120)));
  const auto us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s worker: %d jobs, %.1f us per round trip\n", which.c_str(), kJobs, us / kJobs);
  CHECK(ok == kJobs);
  CHECK(stop_pool(io, pool));
}
