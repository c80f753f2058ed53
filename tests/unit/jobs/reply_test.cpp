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
