#include "redis/endpoint.hpp"
#include "redis/duration_text.hpp"

#include <catch2/catch.hpp>

using coyote::drivers::redis::parse_duration_text;
using coyote::drivers::redis::parse_endpoint;
using std::chrono::milliseconds;

TEST_CASE("a redis:// address gives host, port, credentials and database", "[redis][config]") {
  auto ep = parse_endpoint("redis://app:s%40cret@cache.local:6380/3");
  REQUIRE(ep);
  CHECK(ep->host == "cache.local");
  CHECK(ep->port == 6380);
  CHECK(ep->username == "app");
  CHECK(ep->password == "s@cret");
  CHECK(ep->db == 3);
  CHECK_FALSE(ep->is_unix());
  CHECK(ep->display() == "redis://app:***@cache.local:6380/3");
}

TEST_CASE("an address without scheme or port defaults to redis on 6379", "[redis][config]") {
  auto ep = parse_endpoint("10.0.0.5");
  REQUIRE(ep);
  CHECK(ep->host == "10.0.0.5");
  CHECK(ep->port == 6379);
  auto hp = parse_endpoint("10.0.0.5:7000");
  REQUIRE(hp);
  CHECK(hp->port == 7000);
  auto v6 = parse_endpoint("redis://[::1]:6390");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 6390);
  CHECK(v6->display() == "redis://[::1]:6390");
  auto pass_only = parse_endpoint("redis://:pw@h");
  REQUIRE(pass_only);
  CHECK(pass_only->username.empty());
  CHECK(pass_only->password == "pw");
}

TEST_CASE("a unix:// address gives the socket path and an optional db", "[redis][config]") {
  auto ep = parse_endpoint("unix:///run/redis/redis.sock?db=2");
  REQUIRE(ep);
  CHECK(ep->is_unix());
  CHECK(ep->unix_path == "/run/redis/redis.sock");
  CHECK(ep->db == 2);
  CHECK(ep->display() == "unix:///run/redis/redis.sock?db=2");
}

TEST_CASE("bad addresses are refused with what to write instead", "[redis][config]") {
  auto tls = parse_endpoint("rediss://h:6379");
  REQUIRE_FALSE(tls);
  CHECK_THAT(tls.error(),
             Catch::Contains("TLS") && Catch::Contains("0.14.1") && Catch::Contains("unix:///"));
  CHECK_THAT(parse_endpoint("redis://h:99999").error(), Catch::Contains("1 to 65535"));
  CHECK_THAT(parse_endpoint("redis://h/x").error(), Catch::Contains("database number"));
  CHECK_THAT(parse_endpoint("unix://relative.sock").error(), Catch::Contains("absolute path"));
  CHECK_THAT(parse_endpoint("unix:///s?password=x").error(), Catch::Contains("redis.password"));
  CHECK_THAT(parse_endpoint("http://h").error(), Catch::Contains("unknown scheme"));
  CHECK_THAT(parse_endpoint("redis://:6379").error(), Catch::Contains("no host"));
  CHECK_THAT(parse_endpoint("redis://u:%zz@h").error(), Catch::Contains("%-escape"));
}

TEST_CASE("durations read as text accept Go forms and bare seconds", "[redis][config]") {
  CHECK(parse_duration_text("30") == milliseconds(30'000));
  CHECK(parse_duration_text("30s") == milliseconds(30'000));
  CHECK(parse_duration_text("1m30s") == milliseconds(90'000));
  CHECK(parse_duration_text("500ms") == milliseconds(500));
  CHECK(parse_duration_text("1.5h") == milliseconds(5'400'000));
  CHECK_FALSE(parse_duration_text(""));
  CHECK_FALSE(parse_duration_text("-1s"));
  CHECK_FALSE(parse_duration_text("10 s"));
  CHECK_FALSE(parse_duration_text("1m30"));
  CHECK_FALSE(parse_duration_text("0x10s"));
  CHECK_FALSE(parse_duration_text("5d"));
}
