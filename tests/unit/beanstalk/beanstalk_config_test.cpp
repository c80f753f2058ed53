#include "beanstalk/beanstalk_config.hpp"
#include "config/config_document.hpp"

#include <catch2/catch.hpp>

using namespace coyote::drivers::beanstalk;
using coyote::host::config::ConfigDocument;
using coyote::sdk::ConfigError;
using coyote::sdk::Pipeline;
using namespace std::chrono_literals;

namespace {

ConfigDocument doc(const std::string& body) {
  return ConfigDocument::parse("version: \"3\"\n" + body, ".rr.yaml");
}

Pipeline declared(Pipeline::Options options) {
  return Pipeline("q", "beanstalk", 10, std::move(options));
}

}  // namespace

TEST_CASE("beanstalk addresses are tcp://host:port or unix://path", "[beanstalk][config]") {
  std::string error;
  auto a = parse_address("tcp://127.0.0.1:11300", error);
  REQUIRE(a);
  CHECK_FALSE(a->unix_socket);
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == "11300");
  a = parse_address("tcp://[::1]:11301", error);
  REQUIRE(a);
  CHECK(a->host == "::1");
  CHECK(a->port == "11301");
  a = parse_address("unix:///run/beanstalkd.sock", error);
  REQUIRE(a);
  CHECK(a->unix_socket);
  CHECK(a->path == "/run/beanstalkd.sock");
  for (const char* bad : {"127.0.0.1:11300", "tcp://host", "tcp://:11300", "tcp://h:0",
                          "tcp://h:70000", "tcp://h:x", "unix://", "amqp://h:1"}) {
    INFO(bad);
    error.clear();
    CHECK_FALSE(parse_address(bad, error));
    CHECK(error.find("invalid socket DSN") == 0);
  }
}

TEST_CASE("durations read like RoadRunner's: bare seconds or Go's forms", "[beanstalk][config]") {
  CHECK(parse_duration("5") == std::chrono::milliseconds{5000});
  CHECK(parse_duration("5s") == std::chrono::milliseconds{5000});
  CHECK(parse_duration("1m30s") == std::chrono::milliseconds{90000});
  CHECK(parse_duration("500ms") == std::chrono::milliseconds{500});
  CHECK(parse_duration("1.5s") == std::chrono::milliseconds{1500});
  CHECK_FALSE(parse_duration(""));
  CHECK_FALSE(parse_duration("5x"));
  CHECK_FALSE(parse_duration("-1s"));
  CHECK_FALSE(parse_duration("s"));
}

TEST_CASE("the global section has RoadRunner's defaults and needs not exist",
          "[beanstalk][config]") {
  const auto empty = read_global(doc(""));
  CHECK(empty.address.text == "tcp://127.0.0.1:11300");
  CHECK(empty.timeout == 30s);
  CHECK(empty.ttr_seconds() == 30);
  CHECK(empty.push_timeout == 60s);
  const auto set = read_global(
      doc("beanstalk:\n  addr: unix:///tmp/b.sock\n  timeout: 1s\njobs:\n  timeout: 5\n"));
  CHECK(set.address.unix_socket);
  CHECK(set.timeout == 1s);
  CHECK(set.ttr_seconds() == 2);  // at least 2: beanstalkd's last second is a safety margin
  CHECK(set.push_timeout == 5s);
  CHECK(read_global(doc("beanstalk:\n  timeout: 2500ms\n")).ttr_seconds() == 3);
}

TEST_CASE("a bad global value names the key and what to write", "[beanstalk][config]") {
  try {
    (void)read_global(doc("beanstalk:\n  addr: 127.0.0.1:11300\n"));
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(e.key() == "beanstalk.addr");
    CHECK(std::string(e.what()).find("use tcp://host:port") != std::string::npos);
  }
  CHECK_THROWS_AS(read_global(doc("beanstalk:\n  timeout: soon\n")), ConfigError);
}

TEST_CASE("pipeline options from .rr.yaml use RoadRunner's config defaults",
          "[beanstalk][config]") {
  const auto d = doc("jobs:\n  pipelines:\n    p:\n      driver: beanstalk\n      config: {}\n");
  const auto o = read_tube(d, "jobs.pipelines.p.config", Pipeline("p", "beanstalk", 10));
  CHECK(o.tube == "default");
  CHECK(o.tube_priority == 0);
  CHECK(o.reserve_timeout_s == 1);
  CHECK(o.prefetch == 16);
  const auto d2 = doc(
      "jobs:\n  pipelines:\n    p:\n      driver: beanstalk\n      config:\n        tube: mails\n"
      "        tube_priority: 7\n        reserve_timeout: 3s\n        prefetch: 100\n");
  const auto o2 = read_tube(d2, "jobs.pipelines.p.config", Pipeline("p", "beanstalk", 10));
  CHECK(o2.tube == "mails");
  CHECK(o2.tube_priority == 7);
  CHECK(o2.reserve_timeout_s == 3);
  CHECK(o2.prefetch == 100);
}

TEST_CASE("a bad pipeline option names its key", "[beanstalk][config]") {
  const auto check = [](const std::string& line, const std::string& key, const std::string& text) {
    const auto d =
        doc("jobs:\n  pipelines:\n    p:\n      driver: beanstalk\n      config:\n        " + line +
            "\n");
    try {
      (void)read_tube(d, "jobs.pipelines.p.config", Pipeline("p", "beanstalk", 10));
      FAIL("no error for " + line);
    } catch (const ConfigError& e) {
      CHECK(e.key() == "jobs.pipelines.p.config." + key);
      CHECK(std::string(e.what()).find(text) != std::string::npos);
    }
  };
  check("tube: \"has space\"", "tube", "invalid beanstalkd tube name");
  check("tube_priority: -1", "tube_priority", "0..4294967295");
  check("tube_priority: 4294967296", "tube_priority", "0..4294967295");
  check("reserve_timeout: later", "reserve_timeout", "duration");
  check("prefetch: 0", "prefetch", "positive");
}

TEST_CASE("declared pipelines use RoadRunner's Declare defaults and PHP's strings",
          "[beanstalk][config]") {
  const auto o = read_declared(declared({}));
  CHECK(o.tube == "default");
  CHECK(o.tube_priority == 1);
  CHECK(o.reserve_timeout_s == 5);
  const auto php = read_declared(declared({{"tube_priority", "10"},
                                           {"tube", "default"},
                                           {"reserve_timeout", "5"},
                                           {"consume_all", "false"}}));
  CHECK(php.tube_priority == 10);
  CHECK(php.reserve_timeout_s == 5);
  CHECK_THROWS_WITH(read_declared(declared({{"tube", "-bad"}})),
                    Catch::Contains("beanstalk pipeline q: invalid beanstalkd tube name"));
  CHECK_THROWS_WITH(read_declared(declared({{"prefetch", "many"}})), Catch::Contains("prefetch"));
}
