#include "amqp/ack_window.hpp"

#include <catch2/catch.hpp>

using coyote::drivers::amqp::AckWindow;

TEST_CASE("ack window sends one multiple ack for a run of acked tags at the front",
          "[amqp][ack_window]") {
  AckWindow w;
  for (std::uint64_t t = 1; t <= 5; ++t) w.delivered(t);
  CHECK(w.ack(2));
  CHECK(w.ack(1));
  CHECK(w.ack(3));
  const auto f = w.flush();
  CHECK(f.multiple_up_to == 3);
  CHECK(f.singles.empty());
  CHECK(w.outstanding() == 2);
  CHECK(w.flush().multiple_up_to == 0);
}

TEST_CASE("ack window acks tags behind a job still running one by one, at once",
          "[amqp][ack_window]") {
  AckWindow w;
  for (std::uint64_t t = 1; t <= 4; ++t) w.delivered(t);
  CHECK(w.ack(3));
  CHECK(w.ack(4));
  auto f = w.flush();
  CHECK(f.multiple_up_to == 0);
  CHECK(f.singles == std::vector<std::uint64_t>{3, 4});
  // Tag 1 finishing later must not be folded into a multiple ack that would re-ack 3 and 4.
  CHECK(w.ack(1));
  f = w.flush();
  CHECK(f.multiple_up_to == 0);
  CHECK(f.singles == std::vector<std::uint64_t>{1});
  CHECK(w.outstanding() == 1);
}

TEST_CASE("ack window never covers a nacked tag with a multiple ack", "[amqp][ack_window]") {
  AckWindow w;
  for (std::uint64_t t = 1; t <= 4; ++t) w.delivered(t);
  CHECK(w.ack(1));
  CHECK(w.settled(2));  // nacked: sent by the caller
  CHECK(w.ack(3));
  CHECK(w.ack(4));
  auto f = w.flush();
  CHECK(f.multiple_up_to == 0);
  CHECK(f.singles == std::vector<std::uint64_t>{1, 3, 4});
  CHECK(w.outstanding() == 0);
}

TEST_CASE("ack window refuses to settle a tag twice or one it never saw", "[amqp][ack_window]") {
  AckWindow w;
  w.delivered(1);
  CHECK(w.ack(1));
  CHECK_FALSE(w.ack(1));
  CHECK_FALSE(w.settled(1));
  CHECK_FALSE(w.ack(7));
  (void)w.flush();
  CHECK_FALSE(w.ack(1));  // already sent: a second basic.ack would close the channel
}

TEST_CASE("ack window forgets everything a multiple ack up to a tag covered",
          "[amqp][ack_window]") {
  AckWindow w;
  for (std::uint64_t t = 1; t <= 6; ++t) w.delivered(t);
  CHECK(w.ack(4));
  w.settled_up_to(4);
  CHECK(w.outstanding() == 2);
  CHECK_FALSE(w.ack(2));
  CHECK(w.ack(5));
  CHECK(w.flush().singles == std::vector<std::uint64_t>{5});
}

TEST_CASE("ack window starts over after reset for a new channel", "[amqp][ack_window]") {
  AckWindow w;
  w.delivered(1);
  w.delivered(2);
  w.reset();
  CHECK(w.outstanding() == 0);
  w.delivered(1);
  CHECK(w.ack(1));
  CHECK(w.flush().singles == std::vector<std::uint64_t>{1});
}

TEST_CASE("ack window leaves stragglers for the next multiple ack when asked to",
          "[amqp][ack_window]") {
  AckWindow w;
  for (std::uint64_t t = 1; t <= 6; ++t) w.delivered(t);
  CHECK(w.ack(1));
  CHECK(w.ack(3));
  CHECK(w.ack(4));
  CHECK(w.stragglers() == 2);  // 3 and 4 wait behind 2, which is still running
  auto f = w.flush(false);
  CHECK(f.singles == std::vector<std::uint64_t>{1});
  CHECK(f.multiple_up_to == 0);
  CHECK(w.front() == 2);
  CHECK(w.stragglers() == 2);
  CHECK(w.unflushed() == 2);
  // 2 finishes: one frame covers 2, 3 and 4, none of them acked twice.
  CHECK(w.ack(2));
  CHECK(w.stragglers() == 0);
  f = w.flush(false);
  CHECK(f.multiple_up_to == 4);
  CHECK(f.singles.empty());
  CHECK(w.unflushed() == 0);
  CHECK(w.outstanding() == 2);
}

TEST_CASE("ack window counts acked tags behind a nacked one as stragglers", "[amqp][ack_window]") {
  AckWindow w;
  for (std::uint64_t t = 1; t <= 3; ++t) w.delivered(t);
  CHECK(w.ack(1));
  CHECK(w.settled(2));  // nacked: a multiple ack must not cover it
  CHECK(w.ack(3));
  CHECK(w.stragglers() == 1);
  auto f = w.flush(false);
  CHECK(f.singles == std::vector<std::uint64_t>{1});
  // The nacked slot left the front: 3 is now the front run.
  CHECK(w.stragglers() == 0);
  f = w.flush(false);
  CHECK(f.singles == std::vector<std::uint64_t>{3});
  CHECK(w.unflushed() == 0);
}
