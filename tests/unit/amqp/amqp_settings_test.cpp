#include "amqp/amqp_settings.hpp"
#include "support/map_config.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <stdexcept>

using namespace coyote::drivers::amqp;
using coyote::sdk::ConfigError;
using coyote::sdk::Pipeline;
using coyote::test::MapConfig;

namespace {

const FieldValue* arg(const FieldTable& t, const std::string& key) {
  for (const auto& [k, v] : t) {
    if (k == key) return &v;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("amqp global section defaults to RoadRunner's local guest broker", "[amqp][settings]") {
  MapConfig config;
  std::vector<std::string> warnings;
  const auto g = parse_global(config, warnings);
  CHECK(g.addr == "amqp://guest:guest@127.0.0.1:5672/");
  CHECK(g.host == "127.0.0.1");
  CHECK(g.port == 5672);
  CHECK(g.user == "guest");
  CHECK(g.password == "guest");
  CHECK(g.vhost == "/");
  CHECK_FALSE(g.tls_enabled);
  CHECK(g.tls.client_auth_type == "no_client_cert");
  CHECK(g.heartbeat == std::chrono::seconds{10});
  CHECK(warnings.empty());
}

TEST_CASE("amqp addr is parsed like RoadRunner's Go client", "[amqp][settings]") {
  GlobalSettings g;
  SECTION("an explicit vhost, percent-decoded") {
    g.addr = "amqp://user:p%40ss@broker.example:5673/my%2Fvhost";
    parse_addr(g);
    CHECK(g.host == "broker.example");
    CHECK(g.port == 5673);
    CHECK(g.password == "p@ss");
    CHECK(g.vhost == "my/vhost");
  }
  SECTION("no path and a bare slash both mean the vhost /") {
    g.addr = "amqp://guest:guest@h:5672";
    parse_addr(g);
    CHECK(g.vhost == "/");
    g.addr = "amqp://guest:guest@h:5672/";
    parse_addr(g);
    CHECK(g.vhost == "/");
    g.addr = "amqp://guest:guest@h/%2f";
    parse_addr(g);
    CHECK(g.vhost == "/");
  }
  SECTION("amqps turns TLS on, with its default port") {
    g.addr = "amqps://u:p@h/";
    parse_addr(g);
    CHECK(g.tls_enabled);
    CHECK(g.port == 5671);
  }
  SECTION("anything else is an error naming the expected form") {
    g.addr = "http://h:5672/";
    CHECK_THROWS_WITH(parse_addr(g), Catch::Contains("amqp://user:password@host:5672/vhost"));
  }
  SECTION("the password never reaches a log line") {
    g.addr = "amqp://user:secret@h:5672/";
    CHECK(g.redacted_addr() == "amqp://user:***@h:5672/");
  }
}

TEST_CASE("amqp TLS needs both key and cert, and every named file must exist", "[amqp][settings]") {
  std::vector<std::string> warnings;
  MapConfig config;
  config.set("amqp.tls.key", std::string("/nonexistent/client.key"));
  CHECK_THROWS_WITH(parse_global(config, warnings), Catch::Contains("both amqp.tls.key and"));
  config.set("amqp.tls.cert", std::string("/nonexistent/client.pem"));
  CHECK_THROWS_WITH(parse_global(config, warnings),
                    Catch::Contains("key file '/nonexistent/client.key' does not exists"));
}

TEST_CASE("amqp Coyote keys are validated and unknown global keys are reported",
          "[amqp][settings]") {
  std::vector<std::string> warnings;
  MapConfig config;
  config.set("amqp.heartbeat", std::int64_t{2}).set("amqp.reconect_max", std::int64_t{1});
  const auto g = parse_global(config, warnings);
  CHECK(g.heartbeat == std::chrono::seconds{2});
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Contains("did you mean reconnect_max?"));
  config.set("amqp.reconnect_max", std::int64_t{0});
  CHECK_THROWS_WITH(parse_global(config, warnings), Catch::Contains("positive duration"));
}

TEST_CASE("amqp file pipeline takes RoadRunner's defaults", "[amqp][settings]") {
  MapConfig config;
  config.set("jobs.pipelines.p.config.queue", std::string("q"));
  std::vector<std::string> warnings;
  const auto s =
      parse_file_pipeline(config, "jobs.pipelines.p.config", Pipeline("p", "amqp", 10), warnings);
  CHECK(s.name == "p");
  CHECK(s.priority == 10);
  CHECK(s.prefetch == 10);
  CHECK(s.queue == "q");
  CHECK(s.exchange == "amqp.default");
  CHECK(s.exchange_type == "direct");
  CHECK(s.routing_key.empty());
  CHECK_FALSE(s.exclusive);
  CHECK_FALSE(s.durable);
  CHECK_FALSE(s.exchange_durable);
  CHECK_FALSE(s.exchange_auto_delete);
  CHECK_FALSE(s.queue_auto_delete);
  CHECK_FALSE(s.delete_queue_on_stop);
  CHECK_FALSE(s.multiple_ack);
  CHECK_FALSE(s.requeue_on_fail);
  CHECK(s.redial_timeout == 60);
  CHECK(s.consumer_id.rfind("roadrunner-", 0) == 0);
  CHECK(s.consumer_id.size() == std::string("roadrunner-").size() + 36);
  CHECK(s.queue_headers.empty());
  CHECK(warnings.empty());
}

TEST_CASE("amqp file pipeline reads every key with its YAML type", "[amqp][settings]") {
  MapConfig config;
  const std::string k = "jobs.pipelines.p.config.";
  config.set(k + "prefetch", std::int64_t{250})
      .set(k + "queue", std::string("jobs"))
      .set(k + "exchange", std::string("ex"))
      .set(k + "exchange_type", std::string("topics"))
      .set(k + "routing_key", std::string("a.b"))
      .set(k + "exclusive", true)
      .set(k + "durable", true)
      .set(k + "exchange_durable", true)
      .set(k + "exchange_auto_delete", true)
      .set(k + "queue_auto_delete", true)
      .set(k + "delete_queue_on_stop", true)
      .set(k + "multiple_ack", true)
      .set(k + "requeue_on_fail", true)
      .set(k + "redial_timeout", std::int64_t{5})
      .set(k + "consumer_id", std::string("me"))
      .set(k + "queue_headers.x-queue-mode", std::string("lazy"))
      .set(k + "queue_headers.x-max-length", std::int64_t{100})
      .set(k + "prefech", std::int64_t{1});
  std::vector<std::string> warnings;
  const auto s =
      parse_file_pipeline(config, "jobs.pipelines.p.config", Pipeline("p", "amqp", 3), warnings);
  CHECK(s.priority == 3);
  CHECK(s.prefetch == 250);
  CHECK(s.exchange == "ex");
  CHECK(s.exchange_type == "topic");  // PHP's "topics"
  CHECK(s.routing_key == "a.b");
  CHECK((s.exclusive && s.durable && s.exchange_durable && s.exchange_auto_delete &&
         s.queue_auto_delete && s.delete_queue_on_stop && s.multiple_ack && s.requeue_on_fail));
  CHECK(s.redial_timeout == 5);
  CHECK(s.consumer_id == "me");
  REQUIRE(arg(s.queue_headers, "x-queue-mode") != nullptr);
  CHECK(*arg(s.queue_headers, "x-queue-mode") == FieldValue::of_string("lazy"));
  REQUIRE(arg(s.queue_headers, "x-max-length") != nullptr);
  CHECK(*arg(s.queue_headers, "x-max-length") == FieldValue::of_int(100));
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Contains("prefech") && Catch::Contains("did you mean prefetch?"));
}

TEST_CASE("amqp file pipeline refuses what the broker would refuse later", "[amqp][settings]") {
  MapConfig config;
  std::vector<std::string> warnings;
  const std::string k = "jobs.pipelines.p.config.";
  const Pipeline p("p", "amqp", 10);
  SECTION("an unknown exchange type") {
    config.set(k + "exchange_type", std::string("dirct"));
    CHECK_THROWS_WITH(parse_file_pipeline(config, "jobs.pipelines.p.config", p, warnings),
                      Catch::Contains("direct, fanout, topic (or topics), headers"));
  }
  SECTION("a prefetch that basic.qos cannot carry") {
    config.set(k + "prefetch", std::int64_t{70000});
    CHECK_THROWS_WITH(parse_file_pipeline(config, "jobs.pipelines.p.config", p, warnings),
                      Catch::Contains("1..65535"));
  }
  SECTION("a wrongly typed boolean") {
    config.set(k + "durable", std::int64_t{1});
    CHECK_THROWS_AS(parse_file_pipeline(config, "jobs.pipelines.p.config", p, warnings),
                    ConfigError);
  }
}

TEST_CASE("amqp declared pipeline reads exactly what PHP's AMQPCreateInfo sends",
          "[amqp][settings]") {
  // new AMQPCreateInfo('q1'), stringified by Jobs::create (spec roadrunner-drivers.md 2).
  const Pipeline::Options php{{"name", "q1"},
                              {"driver", "amqp"},
                              {"priority", "10"},
                              {"prefetch", "100"},
                              {"queue", "default"},
                              {"queue_auto_delete", "false"},
                              {"exchange", "amqp.default"},
                              {"exchange_durable", "false"},
                              {"exchange_type", "direct"},
                              {"exchange_auto_delete", "false"},
                              {"routing_key", ""},
                              {"exclusive", "false"},
                              {"multiple_ack", "false"},
                              {"requeue_on_fail", "false"},
                              {"durable", "false"},
                              {"delete_queue_on_stop", "false"},
                              {"redial_timeout", "60"}};
  const auto s = parse_declared_pipeline(Pipeline("q1", "amqp", 10, php));
  CHECK(s.prefetch == 100);
  CHECK(s.queue == "default");
  CHECK(s.exchange == "amqp.default");
  CHECK(s.exchange_type == "direct");
  CHECK(s.routing_key.empty());
  CHECK_FALSE(s.durable);
  CHECK(s.redial_timeout == 60);
  CHECK(s.queue_headers.empty());
  CHECK(s.consumer_id.rfind("roadrunner-", 0) == 0);
}

TEST_CASE("amqp declared pipeline accepts PHP's topics and its empty queue_headers array",
          "[amqp][settings]") {
  const auto s = parse_declared_pipeline(
      Pipeline("t", "amqp", 10,
               {{"exchange_type", "topics"}, {"queue_headers", "[]"}, {"consume_all", "false"}}));
  CHECK(s.exchange_type == "topic");
  CHECK(s.queue_headers.empty());
  CHECK(s.prefetch == 10);  // RoadRunner's Declare default
}

TEST_CASE("amqp declared queue_headers keep their JSON types", "[amqp][settings]") {
  const auto s = parse_declared_pipeline(Pipeline(
      "t", "amqp", 10,
      {{"queue_headers",
        R"({"x-max-length":10,"x-queue-mode":"lazy","x-single-active-consumer":true,"ratio":0.5})"}}));
  REQUIRE(s.queue_headers.size() == 4);
  // Integers stay integers: RabbitMQ rejects x-max-length as a double (RR sends float64).
  CHECK(*arg(s.queue_headers, "x-max-length") == FieldValue::of_int(10));
  CHECK(*arg(s.queue_headers, "x-queue-mode") == FieldValue::of_string("lazy"));
  CHECK(*arg(s.queue_headers, "x-single-active-consumer") == FieldValue::of_bool(true));
  CHECK(*arg(s.queue_headers, "ratio") == FieldValue::of_double(0.5));
}

TEST_CASE("amqp declared pipeline errors name the option and the fix", "[amqp][settings]") {
  CHECK_THROWS_WITH(
      parse_declared_pipeline(Pipeline("t", "amqp", 10, {{"queue_headers", "{nope"}})),
      Catch::Contains("amqp pipeline t: queue_headers must be a JSON object"));
  CHECK_THROWS_WITH(parse_declared_pipeline(Pipeline("t", "amqp", 10, {{"queue_headers", "[1]"}})),
                    Catch::Contains("queue_headers must be a JSON object"));
  CHECK_THROWS_WITH(parse_declared_pipeline(Pipeline("t", "amqp", 10, {{"prefetch", "lots"}})),
                    Catch::Contains("prefetch must be a number 1..65535, got \"lots\""));
  CHECK_THROWS_WITH(
      parse_declared_pipeline(Pipeline("t", "amqp", 10, {{"exchange_type", "round-robin"}})),
      Catch::Contains("unknown exchange_type \"round-robin\""));
}

TEST_CASE("amqp YAML scalars become AMQP field types by their text", "[amqp][settings]") {
  CHECK(FieldValue::from_scalar_text("10") == FieldValue::of_int(10));
  CHECK(FieldValue::from_scalar_text("-3") == FieldValue::of_int(-3));
  CHECK(FieldValue::from_scalar_text("2.5") == FieldValue::of_double(2.5));
  CHECK(FieldValue::from_scalar_text("true") == FieldValue::of_bool(true));
  CHECK(FieldValue::from_scalar_text("lazy") == FieldValue::of_string("lazy"));
  CHECK(FieldValue::from_scalar_text("10s") == FieldValue::of_string("10s"));
}

TEST_CASE("amqp uuids are random version 4 uuids", "[amqp][settings]") {
  const auto a = new_uuid();
  const auto b = new_uuid();
  CHECK(a != b);
  REQUIRE(a.size() == 36);
  CHECK(a[8] == '-');
  CHECK(a[14] == '4');
  CHECK(std::string("89ab").find(a[19]) != std::string::npos);
}
