#include "cli/rr_schema.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using Catch::Matchers::Contains;
using coyote::host::cli::validate;
using coyote::host::cli::validate_or_throw;
using coyote::host::config::ConfigDocument;
using coyote::host::config::Diagnostic;
using coyote::host::config::ValidateOptions;

namespace {

std::vector<Diagnostic> check(const std::string& text, ValidateOptions options = {}) {
  return validate(ConfigDocument::parse(text, ".rr.yaml"), options);
}

std::vector<Diagnostic> errors(const std::vector<Diagnostic>& all) {
  std::vector<Diagnostic> out;
  std::copy_if(all.begin(), all.end(), std::back_inserter(out),
               [](const Diagnostic& d) { return d.is_error(); });
  return out;
}

std::vector<Diagnostic> warnings(const std::vector<Diagnostic>& all) {
  std::vector<Diagnostic> out;
  std::copy_if(all.begin(), all.end(), std::back_inserter(out),
               [](const Diagnostic& d) { return !d.is_error(); });
  return out;
}

std::string dump(const std::vector<Diagnostic>& all) {
  std::string out;
  for (const auto& d : all) out += d.to_string() + "\n";
  return out;
}

const char* kServer = "version: \"3\"\nserver:\n  command: php worker.php\n";

}  // namespace

TEST_CASE("a complete valid config has no findings", "[config][cli]") {
  const auto all = check(R"(version: "3"
rpc:
  listen: tcp://127.0.0.1:6001
server:
  command: [php, worker.php]
  relay: pipes
  env: {APP_ENV: prod, EMPTY: }
  user: www
  group: www
  on_init: {command: php init.php, exec_timeout: 20s, env: {A: b}, user: www, exit_on_error: true}
logs:
  mode: production
  level: info
  encoding: json
  output: stderr
  err_output: stderr
  file_logger_options: {log_output: /tmp/x.log, max_size: 10, max_age: 2, max_backups: 3, compress: false}
  channels:
    jobs: {level: debug, mode: development}
jobs:
  pipeline_size: 100000
  timeout: 60
  options: {parallelism: 4}
  consume: [a, b]
  pool:
    command: php other.php
    num_workers: 4
    max_jobs: 100
    max_queue_size: 0
    allocate_timeout: 60s
    destroy_timeout: 1m
    reset_timeout: 60s
    stream_timeout: 60s
    debug: false
    max_frame_size: 1048576
    supervisor: {watch_tick: 1s, ttl: 0, idle_ttl: 10s, max_worker_memory: 128, exec_ttl: 30s}
    dynamic_allocator: {max_workers: 10, spawn_rate: 5, idle_timeout: 1m}
  pipelines:
    a:
      driver: memory
      priority: 10
      config: {prefetch: 10, anything: {goes: [here]}}
      retry: {max_attempts: 3, backoff: exponential, initial: 1s, max: 1m, jitter: true}
      dead_letter: b
    b: {driver: memory}
coyote:
  plugins: [plugins, /opt/x.so]
http: {address: 0.0.0.0:8080, pool: {num_workers: zzz}}
kv: {}
grpc: {}
metrics: {address: 127.0.0.1:2112}
)");
  INFO(dump(all));
  CHECK(all.empty());
}

TEST_CASE("an unknown key in an owned section gets its location and the closest key",
          "[config][cli]") {
  const auto all = check(std::string(kServer) + "rpc: {}\nlogs: {}\njobs:\n  pipline_size: 5\n");
  REQUIRE(all.size() == 1);
  const auto& d = all.front();
  CHECK(d.is_error());
  CHECK(d.key == "jobs.pipline_size");
  CHECK(d.line == 7);
  CHECK(d.column == 3);
  CHECK(d.to_string() ==
        ".rr.yaml:7:3: jobs.pipline_size: unknown key; did you mean pipeline_size?");
}

TEST_CASE("an unknown key with no close match lists the valid keys", "[config][cli]") {
  const auto all = errors(check(std::string(kServer) + "rpc:\n  address: x\n"));
  REQUIRE(all.size() == 1);
  CHECK_THAT(all[0].message, Contains("valid keys here: listen"));
}

TEST_CASE("typos of owned sections are errors, other sections are ignored", "[config][cli]") {
  const auto all = errors(check(std::string(kServer) + "jbos: {}\nsever: {}\nhttp: {}\nlock: {}\n"
                                                       "grpc: {}\nmy_app_settings: {x: 1}\n"));
  INFO(dump(all));
  REQUIRE(all.size() == 2);
  CHECK(all[0].key == "jbos");
  CHECK_THAT(all[0].message, Contains("did you mean jobs?"));
  CHECK(all[1].key == "sever");
  CHECK_THAT(all[1].message, Contains("did you mean server?"));
}

TEST_CASE("values of the wrong type are reported where they are", "[config][cli]") {
  const auto all = errors(check(std::string(kServer) + R"(jobs:
  pipeline_size: lots
  timeout: soon
  consume: {a: 1}
  pool:
    debug: maybe
    supervisor: 5
)"));
  INFO(dump(all));
  REQUIRE(all.size() == 5);
  CHECK(all[0].key == "jobs.pipeline_size");
  CHECK(all[0].line == 5);
  CHECK(all[0].column == 18);
  CHECK_THAT(all[0].message, Contains("expected an integer"));
  CHECK(all[1].key == "jobs.timeout");
  CHECK(all[1].message == "expected a duration like \"60s\" or \"1m30s\", got \"soon\"");
  CHECK(all[2].key == "jobs.consume");
  CHECK_THAT(all[2].message, Contains("expected a list of strings, got a map"));
  CHECK(all[3].key == "jobs.pool.debug");
  CHECK_THAT(all[3].message, Contains("expected true or false"));
  CHECK(all[4].key == "jobs.pool.supervisor");
  CHECK_THAT(all[4].message, Contains("expected a section"));
}

TEST_CASE("enumerated values are checked with a suggestion", "[config][cli]") {
  const auto all = errors(check(std::string(kServer) +
                                "logs:\n  mode: prodution\n  level: verbose\n  encoding: xml\n"));
  REQUIRE(all.size() == 3);
  CHECK_THAT(all[0].message, Contains("did you mean production?"));
  CHECK_THAT(all[1].message, Contains("expected one of debug, info"));
  CHECK(all[2].key == "logs.encoding");
}

TEST_CASE("log channels take the same keys as logs", "[config][cli]") {
  const auto all =
      errors(check(std::string(kServer) + "logs:\n  channels:\n    jobs:\n      levle: info\n"));
  REQUIRE(all.size() == 1);
  CHECK(all[0].key == "logs.channels.jobs.levle");
  CHECK_THAT(all[0].message, Contains("did you mean level?"));
}

TEST_CASE("pool and pools cannot both be set", "[config][cli]") {
  const auto all = errors(check(
      std::string(kServer) + "jobs:\n  pool: {num_workers: 1}\n  pools: {a: {num_workers: 1}}\n"));
  REQUIRE(all.size() == 1);
  CHECK_THAT(all[0].message,
             Contains("both pool and pools options cannot be set at the same time"));
}

TEST_CASE("pipelines need a driver and may only name existing pools", "[config][cli]") {
  const auto all = errors(check(std::string(kServer) + R"(jobs:
  pools:
    fast: {num_workers: 1}
  pipelines:
    a: {config: {prefetch: 1}}
    b: {driver: memory, pool: fsat}
)"));
  INFO(dump(all));
  REQUIRE(all.size() == 2);
  CHECK(all[0].key == "jobs.pipelines.a.driver");
  CHECK_THAT(all[0].message, Contains("required key is missing"));
  CHECK(all[0].line == 8);
  CHECK(all[1].key == "jobs.pipelines.b.pool");
  CHECK_THAT(all[1].message, Contains("did you mean fast?"));
}

TEST_CASE("driver options at pipeline level warn, typos of pipeline keys are errors",
          "[config][cli]") {
  const auto all = check(std::string(kServer) + R"(jobs:
  pipelines:
    a: {driver: memory, prefetch: 10, priorty: 1, config: {whatever: [1]}}
)");
  INFO(dump(all));
  REQUIRE(errors(all).size() == 1);
  CHECK(errors(all)[0].key == "jobs.pipelines.a.priorty");
  CHECK_THAT(errors(all)[0].message, Contains("did you mean priority?"));
  REQUIRE(warnings(all).size() == 1);
  CHECK(warnings(all)[0].key == "jobs.pipelines.a.prefetch");
}

TEST_CASE("retry and dead_letter are reserved pipeline keys with checked values", "[config][cli]") {
  const auto all = errors(check(std::string(kServer) + R"(jobs:
  pipelines:
    a: {driver: memory, dead_letter: b, retry: {max_attempts: 3, backoff: exponental}}
)"));
  REQUIRE(all.size() == 1);
  CHECK(all[0].key == "jobs.pipelines.a.retry.backoff");
  CHECK_THAT(all[0].message, Contains("did you mean exponential?"));
}

TEST_CASE("num_pollers is accepted with a deprecation warning", "[config][cli]") {
  const auto all = check(std::string(kServer) + "jobs:\n  num_pollers: 10\n");
  REQUIRE(all.size() == 1);
  CHECK_FALSE(all[0].is_error());
  CHECK_THAT(all[0].message, Contains("deprecated"));
}

TEST_CASE("server.command is required for serving unless every pool has a command",
          "[config][cli]") {
  SECTION("missing") {
    const auto all = errors(check("version: \"3\"\nserver: {relay: pipes}\n"));
    REQUIRE(all.size() == 1);
    CHECK(all[0].key == "server.command");
    CHECK(all[0].line == 2);
  }
  SECTION("not required when not serving") {
    CHECK(check("version: \"3\"\n", ValidateOptions{false}).empty());
  }
  SECTION("pool command") {
    CHECK(check("version: \"3\"\njobs: {pool: {command: php w.php}}\n").empty());
  }
  SECTION("every named pool has one") {
    CHECK(check("version: \"3\"\njobs: {pools: {a: {command: x}, b: {command: y}}}\n").empty());
    CHECK(errors(check("version: \"3\"\njobs: {pools: {a: {command: x}, b: {}}}\n")).size() == 1);
  }
}

TEST_CASE("values set by an override are validated and name the override", "[config][cli]") {
  const auto doc = ConfigDocument::parse(kServer, ".rr.yaml", {"jobs.pool.num_workers=many"});
  const auto all = validate(doc);
  REQUIRE(all.size() == 1);
  CHECK_THAT(all[0].to_string(), Contains("-o \"jobs.pool.num_workers=many\""));
}

TEST_CASE("validate_or_throw throws the first error and returns warnings", "[config][cli]") {
  const auto bad = ConfigDocument::parse(
      std::string(kServer) + "jobs: {timeout: x, pool: {tmeout: 1}}\n", ".rr.yaml");
  try {
    (void)validate_or_throw(bad);
    FAIL("expected a ConfigError");
  } catch (const coyote::sdk::ConfigError& e) {
    CHECK(e.key() == "jobs.timeout");
  }
  const auto ok =
      ConfigDocument::parse(std::string(kServer) + "jobs: {num_pollers: 2}\n", ".rr.yaml");
  CHECK(validate_or_throw(ok).size() == 1);
}
