#include "jobs/reply.hpp"

#include <catch2/catch.hpp>

TEST_CASE("parse_reply explains what is wrong with a reply", "[reply]") {
  const auto bad = coyote::host::jobs::parse_reply(R"({"type":4,"data":5})");
  CHECK_FALSE(bad);
  CHECK_THAT(bad.error(), Catch::Contains("data"));
  auto ok = coyote::host::jobs::parse_reply(
      R"({"type":3,"data":{"message":"why","requeue":true,"delay_seconds":-4}})");
  REQUIRE(ok);
  CHECK(ok->message == "why");
  CHECK(ok->delay == std::chrono::seconds{0});  // negative delays mean "now"
}

TEST_CASE("parse_reply reads PHP's exact ack bodies and their reformatted twins alike", "[reply]") {
  using coyote::host::jobs::parse_reply;
  // The byte-exact forms take a fast path; spaced or reordered ones go through the JSON parser.
  for (const char* body :
       {R"({"type":2,"data":[]})", R"({ "type": 2, "data": [] })", R"({"data":[],"type":2})"}) {
    auto reply = parse_reply(body);
    REQUIRE(reply.is_ok());
    CHECK(reply->type == 2);
  }
  for (const char* body : {R"({"type":0,"data":[]})", R"({"type":0})"}) {
    auto reply = parse_reply(body);
    REQUIRE(reply.is_ok());
    CHECK(reply->type == 0);
  }
  const auto trailing = parse_reply(R"({"type":2,"data":[]} trailing)");
  CHECK_FALSE(trailing.is_ok());
  CHECK_FALSE(trailing.error().empty());
}

TEST_CASE("parse_reply refuses a delay longer than 100 years instead of overflowing", "[reply]") {
  // Issue 12 item 10: a requeue with delay 2^62 wrapped the due time into the past, and the job
  // was redelivered at once, over and over.
  for (const char* delay : {"4611686018427387904", "9223372036854775807", "10000000000"}) {
    const auto reply = coyote::host::jobs::parse_reply(
        std::string(R"({"type":4,"data":{"message":"later","delay_seconds":)") + delay + "}}");
    REQUIRE_FALSE(reply);
    CHECK_THAT(reply.error(), Catch::Contains("longer than the maximum of 3155760000 s"));
  }
  const auto longest = coyote::host::jobs::parse_reply(
      R"({"type":3,"data":{"requeue":true,"delay_seconds":3155760000}})");
  REQUIRE(longest);
  CHECK(longest->delay == std::chrono::seconds{3'155'760'000});
}

TEST_CASE("parse_reply ignores the attempt counter in the headers a worker returns", "[reply]") {
  // Issue 12 item 8: the host owns X-Coyote-Attempt; a worker echoing (or forging) it on a
  // requeue must not replace the host's count.
  const auto reply = coyote::host::jobs::parse_reply(
      R"({"type":4,"data":{"headers":{"X-Coyote-Attempt":["99"],"k":["v"]}}})");
  REQUIRE(reply);
  CHECK(reply->headers.count("X-Coyote-Attempt") == 0);
  CHECK(reply->headers.at("k") == std::vector<std::string>{"v"});
}
