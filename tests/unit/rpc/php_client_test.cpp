// The PHP e2e client (tests/e2e/php/rpc_client.php) against a live server.
#include "live_server.hpp"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

using coyote::test::LiveServer;
using coyote::test::TempDir;

namespace {

std::string php_client() {
  const char* src = std::getenv("COYOTE_SOURCE_DIR");
  const std::filesystem::path root =
      src != nullptr
          ? std::filesystem::path(src)
          : std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
  return (root / "tests" / "e2e" / "php" / "rpc_client.php").string();
}

struct PhpResult {
  int exit_code = -1;
  boost::json::object output;
};

// Runs the client with arguments already shell-quoted; its one line of JSON is the result.
PhpResult run_php(const std::string& address, const std::string& args) {
  const std::string cmd = "php " + php_client() + " --address '" + address + "' " + args + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string text;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) text.append(buf, n);
  const int status = ::pclose(pipe);
  PhpResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  boost::system::error_code ec;
  const auto v = boost::json::parse(text, ec);
  INFO("php printed: " << text);
  REQUIRE_FALSE(ec);
  REQUIRE(v.is_object());
  result.output = v.as_object();
  return result;
}

}  // namespace

TEST_CASE("the PHP client pushes, pauses, resumes and reads stats over TCP", "[rpc][php]") {
  LiveServer server;
  const std::string address = server.address();

  auto r = run_php(address, "push test 'App\\Job' hello job-1");
  REQUIRE(r.exit_code == 0);
  const auto pushed = server.on_loop([&] { return server.jobs.pushed; });
  REQUIRE(pushed.size() == 1);
  CHECK(pushed[0].id == "job-1");
  CHECK(pushed[0].name == "App\\Job");
  CHECK(pushed[0].payload == "hello");
  CHECK(pushed[0].options.pipeline == "test");

  REQUIRE(run_php(address, "pause test").exit_code == 0);
  r = run_php(address, "stat");
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.at("result").as_array().at(0).as_object().at("ready") == false);
  REQUIRE(run_php(address, "resume test").exit_code == 0);
  r = run_php(address, "stat");
  CHECK(r.output.at("result").as_array().at(0).as_object().at("ready") == true);
  CHECK(r.output.at("result").as_array().at(0).as_object().at("active") == 1);

  REQUIRE(run_php(address, "push-batch test 'App\\Job' a b c").exit_code == 0);
  CHECK(server.on_loop([&] { return server.jobs.pushed.size(); }) == 4);
}

TEST_CASE("the PHP client sees service errors as exceptions", "[rpc][php]") {
  LiveServer server;
  const std::string address = server.address();

  auto r = run_php(address, "push nowhere 'App\\Job' hello");
  CHECK(r.exit_code == 1);
  CHECK_THAT(std::string(r.output.at("error").as_string()), Catch::Contains("no such pipeline"));

  r = run_php(address, "nope");
  CHECK(r.exit_code == 1);
  CHECK_THAT(std::string(r.output.at("error").as_string()),
             Catch::Contains("can't find method jobs.Nope"));

  REQUIRE(run_php(address, "declare dyn memory priority=10 prefetch=10").exit_code == 0);
  CHECK(run_php(address, "declare dyn memory").exit_code == 1);
  r = run_php(address, "list");
  CHECK(r.output.at("result").as_array().size() == 2);
  r = run_php(address, "destroy dyn");
  CHECK(r.output.at("result").as_array().at(0) == "dyn");
}

TEST_CASE("the PHP client reads informer.Workers over a unix socket", "[rpc][php]") {
  TempDir dir;
  const std::string address = "unix://" + (dir.path() / "rpc.sock").string();
  LiveServer server(address);
  const auto r = run_php(address, "workers");
  REQUIRE(r.exit_code == 0);
  const auto& worker = r.output.at("result").as_object().at("workers").as_array().at(0).as_object();
  CHECK(worker.at("pid") == 4242);
  CHECK(worker.at("statusStr") == "ready");
}
