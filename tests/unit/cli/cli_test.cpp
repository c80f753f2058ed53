// The client commands against a live server, in-process, through the same run() as main().
#include "cli/app.hpp"
#include "unit/rpc/live_server.hpp"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

using coyote::test::LiveServer;
using coyote::test::TempDir;

namespace {

struct CliResult {
  int code = 0;
  std::string out;
  std::string err;
};

CliResult run_cli(std::vector<std::string> args) {
  args.insert(args.begin(), "coyote");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());

  std::ostringstream out;
  std::ostringstream err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  CliResult result;
  result.code = coyote::host::cli::run(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  result.out = out.str();
  result.err = err.str();
  return result;
}

}  // namespace

TEST_CASE("jobs push sends a job with payload, headers and options", "[cli]") {
  LiveServer server;
  const auto r =
      run_cli({"jobs", "push", "test", "App\\Job", "--payload", "hello", "--header", "a=1",
               "--header", "a=2", "--priority", "4", "--delay", "3", "--rpc", server.address()});
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("pushed job "));
  const auto pushed = server.on_loop([&] { return server.jobs.pushed; });
  REQUIRE(pushed.size() == 1);
  CHECK(pushed[0].payload == "hello");
  CHECK(pushed[0].headers.at("a") == std::vector<std::string>{"1", "2"});
  CHECK(pushed[0].options.priority == 4);
  CHECK(pushed[0].options.delay_seconds == 3);
  CHECK(pushed[0].id.size() == 36);  // a random UUID
}

TEST_CASE("jobs commands print tables for people and JSON with --json", "[cli]") {
  LiveServer server;
  const std::string address = server.address();
  REQUIRE(
      run_cli({"jobs", "declare", "dyn", "--driver", "memory", "--priority", "5", "--rpc", address})
          .code == 0);
  REQUIRE(run_cli({"jobs", "resume", "dyn", "--rpc", address}).code == 0);

  auto r = run_cli({"jobs", "stat", "--rpc", address});
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out,
             Catch::StartsWith("PIPELINE") && Catch::Contains("dyn       memory  dyn    5 "));

  r = run_cli({"jobs", "stat", "--json", "--rpc", address});
  REQUIRE(r.code == 0);
  const auto stats = boost::json::parse(r.out).at("stats").as_array();
  REQUIRE(stats.size() == 2);
  CHECK(stats[0].at("pipeline") == "dyn");
  CHECK(stats[0].at("ready") == true);
  CHECK(stats[1].at("ready") == false);  // zero values are present in CLI JSON

  r = run_cli({"jobs", "list", "--rpc", address});
  CHECK(r.out == "dyn\ntest\n");
  r = run_cli({"jobs", "destroy", "dyn", "--json", "--rpc", address});
  CHECK(r.out == "{\"pipelines\":[\"dyn\"]}\n");
  r = run_cli({"workers", "--rpc", address});
  CHECK_THAT(r.out, Catch::Contains("4242") && Catch::Contains("ready"));
  r = run_cli({"reset", "--rpc", address});
  CHECK(r.code == 0);
  CHECK(server.on_loop([&] { return server.pools.resets; }) == 1);
}

TEST_CASE("client commands report errors with distinct exit codes", "[cli]") {
  LiveServer server;
  SECTION("a service error exits 1") {
    const auto r = run_cli({"jobs", "push", "nowhere", "J", "--rpc", server.address()});
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("no such pipeline, requested: nowhere"));
  }
  SECTION("a malformed --header exits 2") {
    const auto r =
        run_cli({"jobs", "push", "test", "J", "--header", "novalue", "--rpc", server.address()});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("key=value"));
  }
  SECTION("a missing explicit config file exits 2") {
    const auto r = run_cli({"jobs", "list", "-c", "/nonexistent/.rr.yaml"});
    CHECK(r.code == 2);
  }
  SECTION("an unreachable server exits 3 with a hint") {
    TempDir dir;
    const auto r =
        run_cli({"jobs", "list", "--rpc", "unix://" + (dir.path() / "none.sock").string()});
    CHECK(r.code == 3);
    CHECK_THAT(r.err, Catch::Contains("cannot connect to coyote RPC at unix://") &&
                          Catch::Contains("is `coyote serve` running?"));
  }
}

TEST_CASE("client commands read rpc.listen from the config file", "[cli]") {
  LiveServer server;
  TempDir dir;
  const auto config = dir.path() / "rr.yaml";
  std::ofstream(config) << "version: \"3\"\nrpc:\n  listen: " << server.address() << "\n";
  const auto r = run_cli({"jobs", "list", "-c", config.string()});
  CHECK(r.code == 0);
  CHECK(r.out == "test\n");
}

TEST_CASE("client commands load the config as serve does: ${VAR} and -o apply to rpc.listen",
          "[cli]") {
  // Regression: the clients read rpc.listen from the raw YAML, so the unexpanded text reached
  // the address parser ("unknown scheme") and -o was ignored, where serve honoured both.
  LiveServer server;
  TempDir dir;
  const auto config = dir.path() / "rr.yaml";
  SECTION("${VAR:-default} is expanded") {
    ::setenv("COYOTE_CLI_TEST_RPC", server.address().c_str(), 1);
    std::ofstream(config) << "version: \"3\"\nrpc:\n  listen: ${COYOTE_CLI_TEST_RPC:-tcp://"
                             "127.0.0.1:1}\n";
    const auto r = run_cli({"jobs", "list", "-c", config.string()});
    ::unsetenv("COYOTE_CLI_TEST_RPC");
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == "test\n");
  }
  SECTION("-o overrides the file") {
    std::ofstream(config) << "version: \"3\"\nrpc:\n  listen: tcp://127.0.0.1:1\n";
    const auto r =
        run_cli({"jobs", "list", "-c", config.string(), "-o", "rpc.listen=" + server.address()});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == "test\n");
  }
  SECTION("a config error names the file and exits 2") {
    std::ofstream(config) << "version: \"3\"\nrpc: [not, a, map\n";
    const auto r = run_cli({"jobs", "dead", "list", "-c", config.string()});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains(config.string()) && Catch::Contains("--rpc"));
  }
}
