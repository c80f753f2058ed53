#include "common/wake_queue.hpp"

#include <catch2/catch.hpp>

#include <poll.h>

#include <thread>
#include <vector>

using coyote::drivers::common::WakeQueue;

TEST_CASE("wake queue is readable exactly while items wait", "[amqp][wake_queue]") {
  WakeQueue<int> q;
  pollfd p{q.fd(), POLLIN, 0};
  CHECK(::poll(&p, 1, 0) == 0);
  q.push(1);
  q.push(2);
  CHECK(::poll(&p, 1, 0) == 1);
  std::vector<int> out;
  q.take_all(out);
  CHECK(out == std::vector<int>{1, 2});
  p.revents = 0;
  CHECK(::poll(&p, 1, 0) == 0);
}

TEST_CASE("wake queue hands every item from several producer threads to its owner in order",
          "[amqp][wake_queue]") {
  WakeQueue<std::pair<int, int>> q;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5000;
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&q, t] {
      for (int i = 0; i < kPerThread; ++i) q.push({t, i});
    });
  }
  std::vector<int> next(kThreads, 0);
  int received = 0;
  std::vector<std::pair<int, int>> batch;
  while (received < kThreads * kPerThread) {
    pollfd p{q.fd(), POLLIN, 0};
    // Never a lost wake-up: if items wait, the fd is readable; 5 s is only a hang guard.
    REQUIRE(::poll(&p, 1, 5000) == 1);
    q.take_all(batch);
    for (auto [t, i] : batch) {
      CHECK(i == next[t]);
      next[t] = i + 1;
      ++received;
    }
  }
  for (auto& p : producers) p.join();
  CHECK(received == kThreads * kPerThread);
}

TEST_CASE("wake queue lazy items wake a ticking owner only once a batch is full",
          "[amqp][wake_queue]") {
  WakeQueue<int> q;
  pollfd p{q.fd(), POLLIN, 0};
  CHECK_FALSE(q.set_ticking(true));
  q.push_lazy(1, 3);
  q.push_lazy(2, 3);
  CHECK(::poll(&p, 1, 0) == 0);  // the owner looks at its next tick anyway
  q.push_lazy(3, 3);
  CHECK(::poll(&p, 1, 0) == 1);  // a full batch wakes it now
  std::vector<int> out;
  q.take_all(out);
  CHECK(out.size() == 3);
  // Not ticking: every lazy item wakes, and set_ticking reports what waits.
  CHECK_FALSE(q.set_ticking(false));
  q.push_lazy(4, 100);
  p.revents = 0;
  CHECK(::poll(&p, 1, 0) == 1);
  CHECK(q.set_ticking(true));
}
