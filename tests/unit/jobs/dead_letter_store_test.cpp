#include "jobs/dead_letter_store.hpp"

#include <catch2/catch.hpp>

using coyote::host::jobs::DeadJob;
using coyote::host::jobs::DeadLetterStore;

namespace {
DeadJob dead(std::string id, std::string error = "e") {
  DeadJob d;
  d.message.id = std::move(id);
  d.origin = "p";
  d.attempts = 3;
  d.last_error = std::move(error);
  return d;
}
std::vector<std::string> ids(const std::vector<DeadJob>& jobs) {
  std::vector<std::string> out;
  for (const auto& j : jobs) out.push_back(j.message.id);
  return out;
}
}  // namespace

TEST_CASE("dead jobs are listed oldest first and taken by id", "[dead]") {
  DeadLetterStore store;
  store.add("dlq", dead("a"));
  store.add("dlq", dead("b"));
  store.add("other", dead("c"));
  CHECK(ids(store.list("dlq")) == std::vector<std::string>{"a", "b"});
  CHECK(store.size("other") == 1);
  auto a = store.take("dlq", "a");
  REQUIRE(a);
  CHECK(a->origin == "p");
  CHECK_FALSE(store.take("dlq", "a"));
  CHECK_FALSE(store.take("nope", "b"));
  CHECK(ids(store.list("dlq")) == std::vector<std::string>{"b"});
}

TEST_CASE("a second death of the same id replaces the first and moves it last", "[dead]") {
  DeadLetterStore store;
  store.add("dlq", dead("a", "first"));
  store.add("dlq", dead("b"));
  store.add("dlq", dead("a", "second"));
  auto all = store.list("dlq");
  CHECK(ids(all) == std::vector<std::string>{"b", "a"});
  CHECK(all[1].last_error == "second");
}

TEST_CASE("a full store evicts its oldest dead job and returns it", "[dead]") {
  DeadLetterStore store(2);
  CHECK_FALSE(store.add("dlq", dead("a")));
  CHECK_FALSE(store.add("dlq", dead("b")));
  auto evicted = store.add("dlq", dead("c"));
  REQUIRE(evicted);
  CHECK(evicted->message.id == "a");
  CHECK(ids(store.list("dlq")) == std::vector<std::string>{"b", "c"});
}

TEST_CASE("replay headers are stripped from a dead message", "[dead]") {
  coyote::sdk::Message m;
  m.headers = {{"X-Coyote-Attempt", {"3"}},         {"X-Coyote-Dead-Reason", {"x"}},
               {"X-Coyote-Origin-Pipeline", {"p"}}, {"X-Coyote-Attempts", {"3"}},
               {"X-Coyote-Dead-At", {"1"}},         {"mine", {"kept"}}};
  coyote::host::jobs::clear_delivery_headers(m);
  CHECK(m.headers == coyote::sdk::Headers{{"mine", {"kept"}}});
}

TEST_CASE("dead jobs older than a cutoff are expired, oldest first, with their store", "[dead]") {
  DeadLetterStore store;
  const auto now = std::chrono::system_clock::now();
  DeadJob old = dead("old");
  old.dead_at = now - std::chrono::hours{2};
  DeadJob young = dead("young");
  young.dead_at = now;
  (void)store.add("s", old);
  (void)store.add("s", young);
  auto expired = store.expire(now - std::chrono::hours{1});
  REQUIRE(expired.size() == 1);
  CHECK(expired[0].first == "s");
  CHECK(expired[0].second.message.id == "old");
  CHECK(ids(store.list("s")) == std::vector<std::string>{"young"});
}
