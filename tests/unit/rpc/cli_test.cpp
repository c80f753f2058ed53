// The client CLI commands against a live server, in-process.
#include "live_server.hpp"
#include "rpc/client_cli.hpp"

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
  CLI::App app{"coyote"};
  coyote::host::rpc::register_client_commands(app);
  args.insert(args.begin(), "coyote");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());

  std::ostringstream out;
  std::ostringstream err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  CliResult result;
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    result.code = e.get_exit_code();
  }
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  result.out = out.str();
  result.err = err.str();
  return result;
}

}  // namespace

TEST_CASE("jobs push sends a job with payload, headers and options", "[rpc][cli]") {
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

TEST_CASE("jobs commands print tables for people and JSON with --json", "[rpc][cli]") {
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

TEST_CASE("client commands report errors with distinct exit codes", "[rpc][cli]") {
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

TEST_CASE("client commands read rpc.listen from the config file", "[rpc][cli]") {
  LiveServer server;
  TempDir dir;
  const auto config = dir.path() / "rr.yaml";
  std::ofstream(config) << "version: \"3\"\nrpc:\n  listen: " << server.address() << "\n";
  const auto r = run_cli({"jobs", "list", "-c", config.string()});
  CHECK(r.code == 0);
  CHECK(r.out == "test\n");
}
