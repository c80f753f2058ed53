// Bounded waits that run the io_context until a condition holds (no sleeps as synchronisation).
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>

namespace coyote::test {

/// Runs posted handlers until `done()` or `timeout`; returns done().
template <typename Pred>
bool run_until(boost::asio::io_context& io, Pred done,
               std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
  auto guard = boost::asio::make_work_guard(io);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  io.restart();
  io.poll();
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds{5});
  }
  return done();
}

/// Runs whatever is ready now.
inline void drain(boost::asio::io_context& io) {
  io.restart();
  io.poll();
}

}  // namespace coyote::test
