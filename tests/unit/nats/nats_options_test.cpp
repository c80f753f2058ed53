#include "nats/nats_options.hpp"

#include "support/map_config.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using coyote::drivers::nats::check_name;
using coyote::drivers::nats::check_publish_subject;
using coyote::drivers::nats::default_consumer_name;
using coyote::drivers::nats::options_from_config;
using coyote::drivers::nats::options_from_pipeline;
using coyote::drivers::nats::subject_matches;
using coyote::sdk::Pipeline;
using std::chrono::milliseconds;

TEST_CASE("a .rr.yaml pipeline gets RoadRunner's file defaults", "[nats]") {
  coyote::test::MapConfig config;
  config.set("jobs.pipelines.n.driver", std::string("nats"));
  auto o = options_from_config(config, "jobs.pipelines.n.config", Pipeline("n", "nats", 10));
  CHECK(o.address == "nats://127.0.0.1:4222");
  CHECK(o.subject == "default");
  CHECK(o.stream == "default-stream");
  CHECK(o.consumer == "coyote-n");
  CHECK(o.prefetch == 10);
  CHECK(o.priority == 10);
  CHECK(o.rate_limit == 1000);
  CHECK_FALSE(o.deliver_new);
  CHECK_FALSE(o.delete_after_ack);
  CHECK_FALSE(o.delete_stream_on_stop);
  CHECK(o.ack_wait == milliseconds{30'000});
  CHECK(o.publish_timeout == milliseconds{60'000});
}

TEST_CASE("a .rr.yaml pipeline reads every key", "[nats]") {
  coyote::test::MapConfig config;
  config.set("nats.addr", std::string("nats://10.0.0.1:4333"))
      .set("jobs.timeout", std::int64_t{5})
      .set("jobs.pipelines.n.config.subject", std::string("jobs.mail"))
      .set("jobs.pipelines.n.config.stream", std::string("MAIL"))
      .set("jobs.pipelines.n.config.consumer", std::string("mailers"))
      .set("jobs.pipelines.n.config.prefetch", std::int64_t{64})
      .set("jobs.pipelines.n.config.rate_limit", std::int64_t{50})
      .set("jobs.pipelines.n.config.deliver_new", true)
      .set("jobs.pipelines.n.config.delete_after_ack", true)
      .set("jobs.pipelines.n.config.delete_stream_on_stop", true)
      .set("jobs.pipelines.n.config.ack_wait", std::int64_t{90})
      .set("jobs.pipelines.n.config.prefech", std::int64_t{1});
  auto o = options_from_config(config, "jobs.pipelines.n.config", Pipeline("n", "nats", 2));
  CHECK(o.address == "nats://10.0.0.1:4333");
  CHECK(o.subject == "jobs.mail");
  CHECK(o.stream == "MAIL");
  CHECK(o.consumer == "mailers");
  CHECK(o.prefetch == 64);
  CHECK(o.priority == 2);
  CHECK(o.rate_limit == 50);
  CHECK(o.deliver_new);
  CHECK(o.delete_after_ack);
  CHECK(o.delete_stream_on_stop);
  CHECK(o.ack_wait == milliseconds{90'000});
  CHECK(o.publish_timeout == milliseconds{5'000});
  CHECK(o.unknown_keys == std::vector<std::string>{"prefech"});
}

TEST_CASE("bad .rr.yaml values are errors that name the key", "[nats]") {
  auto fails = [](const std::string& key, coyote::test::MapConfig::Value value,
                  const std::string& text) {
    coyote::test::MapConfig config;
    config.set("jobs.pipelines.n.config." + key, std::move(value));
    try {
      (void)options_from_config(config, "jobs.pipelines.n.config", Pipeline("n", "nats", 10));
      FAIL("no error for " << key);
    } catch (const coyote::sdk::ConfigError& e) {
      CHECK(e.key() == "jobs.pipelines.n.config." + key);
      CHECK_THAT(e.problem(), Catch::Contains(text));
    }
  };
  fails("prefetch", std::int64_t{-1}, "positive");
  fails("subject", std::string("jobs.>"), "wildcard");
  fails("subject", std::string("jobs..x"), "empty token");
  fails("stream", std::string("my.stream"), "'.'");
  fails("consumer", std::string("a b"), "' '");
  fails("ack_wait", std::int64_t{-5}, "at least 1s");
}

TEST_CASE("a declared pipeline reads NatsCreateInfo's strings with RoadRunner's defaults",
          "[nats]") {
  coyote::test::MapConfig config;
  SECTION("what roadrunner-php's NatsCreateInfo sends") {
    Pipeline p("decl", "nats", 2,
               {{"subject", "s"},
                {"stream", "S"},
                {"prefetch", "100"},
                {"deliver_new", "true"},
                {"rate_limit", "100"},
                {"delete_stream_on_stop", "false"},
                {"delete_after_ack", "false"}});
    auto o = options_from_pipeline(config, p);
    CHECK(o.subject == "s");
    CHECK(o.stream == "S");
    CHECK(o.prefetch == 100);
    CHECK(o.deliver_new);
    CHECK(o.rate_limit == 100);
    CHECK(o.priority == 2);
    CHECK(o.consumer == "coyote-decl");
  }
  SECTION("absent options take the declare defaults") {
    auto o = options_from_pipeline(config, Pipeline("d", "nats", 10));
    CHECK(o.prefetch == 100);
    CHECK(o.subject == "default");
    CHECK(o.stream == "default-stream");
    CHECK(o.ack_wait == milliseconds{30'000});
  }
  SECTION("ack_wait in seconds or as a duration") {
    CHECK(options_from_pipeline(config, Pipeline("d", "nats", 10, {{"ack_wait", "45"}})).ack_wait ==
          milliseconds{45'000});
    CHECK(options_from_pipeline(config, Pipeline("d", "nats", 10, {{"ack_wait", "1m30s"}}))
              .ack_wait == milliseconds{90'000});
    CHECK(options_from_pipeline(config, Pipeline("d", "nats", 10, {{"ack_wait", "1500ms"}}))
              .ack_wait == milliseconds{1'500});
  }
  SECTION("bad strings are errors naming the option") {
    auto error_of = [&](Pipeline::Options options) {
      try {
        (void)options_from_pipeline(config, Pipeline("d", "nats", 10, std::move(options)));
      } catch (const std::invalid_argument& e) {
        return std::string(e.what());
      }
      return std::string();
    };
    CHECK_THAT(error_of({{"prefetch", "many"}}), Catch::Contains("prefetch"));
    CHECK_THAT(error_of({{"deliver_new", "yes"}}), Catch::Contains("deliver_new"));
    CHECK_THAT(error_of({{"ack_wait", "soon"}}), Catch::Contains("ack_wait"));
    CHECK_THAT(error_of({{"ack_wait", "500ms"}}), Catch::Contains("at least 1s"));
    CHECK_THAT(error_of({{"subject", "a.*"}}), Catch::Contains("wildcard"));
    CHECK_THAT(error_of({{"prefetch", "0"}}), Catch::Contains("positive"));
  }
}

TEST_CASE("names, subjects and subject filters follow JetStream's rules", "[nats]") {
  CHECK(check_name("JOBS-1_a").empty());
  CHECK_FALSE(check_name("").empty());
  CHECK_FALSE(check_name("a.b").empty());
  CHECK_FALSE(check_name("a*").empty());
  CHECK_FALSE(check_name("a/b").empty());
  CHECK(check_publish_subject("jobs.mail.v1").empty());
  CHECK_FALSE(check_publish_subject("jobs.*").empty());
  CHECK_FALSE(check_publish_subject(">").empty());
  CHECK_FALSE(check_publish_subject(".jobs").empty());
  CHECK_FALSE(check_publish_subject("a b").empty());
  CHECK(default_consumer_name("mail") == "coyote-mail");
  CHECK(default_consumer_name("a.b c*") == "coyote-a_b_c_");
  CHECK(subject_matches("jobs", "jobs"));
  CHECK(subject_matches("jobs.*", "jobs.mail"));
  CHECK(subject_matches("jobs.>", "jobs.mail.v1"));
  CHECK(subject_matches(">", "anything"));
  CHECK(subject_matches("*.mail", "jobs.mail"));
  CHECK_FALSE(subject_matches("jobs.*", "jobs"));
  CHECK_FALSE(subject_matches("jobs.*", "jobs.mail.v1"));
  CHECK_FALSE(subject_matches("jobs.>", "jobs"));
  CHECK_FALSE(subject_matches("jobs", "jobs.mail"));
  CHECK_FALSE(subject_matches("other", "jobs"));
}
