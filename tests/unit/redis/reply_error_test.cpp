#include "redis/reply_error.hpp"

#include <catch2/catch.hpp>

using coyote::drivers::redis::ErrorContext;
using coyote::drivers::redis::explain_error;

TEST_CASE("redis errors a user can fix name the key or setting to change", "[redis]") {
  const ErrorContext at{"redis://127.0.0.1:6379", "jobs", "emails"};
  const auto wrongtype =
      explain_error("WRONGTYPE Operation against a key holding the wrong kind of value", at);
  CHECK_THAT(wrongtype, Catch::StartsWith("redis: WRONGTYPE") && Catch::Contains("\"jobs\"") &&
                            Catch::Contains("`stream`") && Catch::Contains("\"emails\""));
  CHECK_THAT(explain_error("READONLY You can't write against a read only replica.", at),
             Catch::Contains("read-only replica") && Catch::Contains("redis.addr"));
  CHECK_THAT(explain_error("OOM command not allowed when used memory > 'maxmemory'.", at),
             Catch::Contains("maxmemory") && Catch::Contains("noeviction"));
  CHECK_THAT(explain_error("NOAUTH Authentication required.", at),
             Catch::Contains("redis.password"));
  CHECK_THAT(explain_error("WRONGPASS invalid username-password pair or user is disabled.", at),
             Catch::Contains("authentication failed") && Catch::Contains("redis.username"));
  CHECK_THAT(explain_error("ERR unknown command 'XAUTOCLAIM'", at), Catch::Contains("6.2"));
  CHECK(explain_error("ERR something else", at) == "redis: ERR something else");
}
