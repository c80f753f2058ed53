#include "redis/options.hpp"
#include "support/map_config.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>
#include <stdexcept>

using coyote::drivers::redis::ClientOptions;
using coyote::drivers::redis::StreamOptions;
using coyote::sdk::Pipeline;
using std::chrono::milliseconds;

namespace {

class NullLogger final : public coyote::sdk::Logger {
 public:
  void log(coyote::sdk::LogLevel /*level*/, std::string_view m) override { lines.emplace_back(m); }
  [[nodiscard]] bool enabled(coyote::sdk::LogLevel /*level*/) const override { return true; }
  std::vector<std::string> lines;
};

const char* const kBase = "jobs.pipelines.emails.config";

}  // namespace

TEST_CASE("without a redis section the client connects to localhost with defaults",
          "[redis][config]") {
  coyote::test::MapConfig config;
  const auto o = ClientOptions::from_config(config);
  CHECK(o.endpoint.host == "127.0.0.1");
  CHECK(o.endpoint.port == 6379);
  CHECK(o.pool_size == 1);
  CHECK(o.command_timeout == milliseconds(10'000));
  CHECK(o.wait_replicas == 0);
}

TEST_CASE("the redis section's keys override the address's credentials", "[redis][config]") {
  coyote::test::MapConfig config;
  config.set("redis.addr", std::string("redis://u:p@h:7000/1"))
      .set("redis.password", std::string("other"))
      .set("redis.db", std::int64_t{4})
      .set("redis.pool_size", std::int64_t{3})
      .set("redis.command_timeout", std::string("2500ms"))
      .set("redis.wait_replicas", std::int64_t{1});
  const auto o = ClientOptions::from_config(config);
  CHECK(o.endpoint.username == "u");
  CHECK(o.endpoint.password == "other");
  CHECK(o.endpoint.db == 4);
  CHECK(o.pool_size == 3);
  CHECK(o.command_timeout == milliseconds(2500));
  CHECK(o.wait_replicas == 1);
}

TEST_CASE("bad redis section values name the key", "[redis][config]") {
  coyote::test::MapConfig config;
  SECTION("unknown key") {
    config.set("redis.adress", std::string("x"));
    CHECK_THROWS_WITH(ClientOptions::from_config(config),
                      Catch::Contains("redis.adress") && Catch::Contains("addr"));
  }
  SECTION("TLS") {
    config.set("redis.addr", std::string("rediss://h"));
    CHECK_THROWS_WITH(ClientOptions::from_config(config), Catch::Contains("TLS"));
  }
  SECTION("pool size") {
    config.set("redis.pool_size", std::int64_t{0});
    CHECK_THROWS_WITH(ClientOptions::from_config(config), Catch::Contains("1 to 64"));
  }
  SECTION("duration") {
    config.set("redis.connect_timeout", std::string("soon"));
    CHECK_THROWS_WITH(ClientOptions::from_config(config),
                      Catch::Contains("redis.connect_timeout") && Catch::Contains("duration"));
  }
}

TEST_CASE("a pipeline's defaults derive stream, group and consumer from its name",
          "[redis][config]") {
  coyote::test::MapConfig config;
  const Pipeline p("emails", "redis", 7);
  const auto o = StreamOptions::from_config(config, kBase, p);
  CHECK(o.stream == "emails");
  CHECK(o.delayed_key == "emails:delayed");
  CHECK(o.group == "coyote:emails");
  CHECK(o.consumer.find(':' + std::to_string(::getpid())) != std::string::npos);
  CHECK(o.prefetch == 100);
  CHECK(o.priority == 7);
  CHECK(o.maxlen == 0);
  CHECK(o.claim_idle == milliseconds(30'000));
  CHECK(o.delete_on_ack);
}

TEST_CASE("every pipeline key is read from the config section", "[redis][config]") {
  coyote::test::MapConfig config;
  const std::string b = kBase;
  config.set(b + ".stream", std::string("q:mail"))
      .set(b + ".group", std::string("mailers"))
      .set(b + ".consumer", std::string("box-1"))
      .set(b + ".prefetch", std::int64_t{5})
      .set(b + ".maxlen", std::int64_t{1000})
      .set(b + ".maxlen_exact", true)
      .set(b + ".claim_idle", std::string("2m"))
      .set(b + ".delete_on_ack", false);
  const auto o = StreamOptions::from_config(config, kBase, Pipeline("emails", "redis", 10));
  CHECK(o.stream == "q:mail");
  CHECK(o.delayed_key == "q:mail:delayed");
  CHECK(o.group == "mailers");
  CHECK(o.consumer == "box-1");
  CHECK(o.prefetch == 5);
  CHECK(o.maxlen == 1000);
  CHECK(o.maxlen_exact);
  CHECK(o.claim_idle == milliseconds(120'000));
  CHECK_FALSE(o.delete_on_ack);
}

TEST_CASE("bad pipeline keys are configuration errors at their path", "[redis][config]") {
  coyote::test::MapConfig config;
  const std::string b = kBase;
  SECTION("unknown key") {
    config.set(b + ".stram", std::string("x"));
    CHECK_THROWS_WITH(StreamOptions::from_config(config, kBase, Pipeline("emails", "redis", 10)),
                      Catch::Contains(b + ".stram") && Catch::Contains("stream"));
  }
  SECTION("prefetch") {
    config.set(b + ".prefetch", std::int64_t{0});
    CHECK_THROWS_WITH(StreamOptions::from_config(config, kBase, Pipeline("emails", "redis", 10)),
                      Catch::Contains("prefetch must be"));
  }
  SECTION("claim_idle") {
    config.set(b + ".claim_idle", std::string("100ms"));
    CHECK_THROWS_WITH(StreamOptions::from_config(config, kBase, Pipeline("emails", "redis", 10)),
                      Catch::Contains("at least 1s"));
  }
}

TEST_CASE("declared pipelines read PHP-style string options", "[redis][config]") {
  NullLogger log;
  const Pipeline p("d", "redis", 3,
                   {{"name", "d"},
                    {"driver", "redis"},
                    {"priority", "3"},
                    {"stream", "s1"},
                    {"prefetch", "12"},
                    {"claim_idle", "45"},
                    {"delete_on_ack", "false"},
                    {"maxlen", "50"},
                    {"maxlen_exact", "true"},
                    {"retry.max_attempts", "5"},
                    {"shiny", "1"}});
  const auto o = StreamOptions::from_pipeline(p, log);
  CHECK(o.stream == "s1");
  CHECK(o.group == "coyote:d");
  CHECK(o.prefetch == 12);
  CHECK(o.claim_idle == milliseconds(45'000));
  CHECK_FALSE(o.delete_on_ack);
  CHECK(o.maxlen == 50);
  CHECK(o.maxlen_exact);
  REQUIRE(log.lines.size() == 1);
  CHECK_THAT(log.lines[0], Catch::Contains("shiny"));
  CHECK_THROWS_AS(
      StreamOptions::from_pipeline(Pipeline("d", "redis", 3, {{"prefetch", "lots"}}), log),
      std::invalid_argument);
  CHECK_THROWS_WITH(
      StreamOptions::from_pipeline(Pipeline("d", "redis", 3, {{"delete_on_ack", "yes"}}), log),
      Catch::Contains("\"true\" or \"false\""));
}
