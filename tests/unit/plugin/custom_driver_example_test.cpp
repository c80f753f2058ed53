// Builds examples/custom-driver against the installed SDK, the way a third party would, then loads
// the result. Slow-ish (one configure + one compile), so it is a single test case.
#include "plugin/guarded_driver.hpp"
#include "plugin/plugin_loader.hpp"
#include "support/map_config.hpp"
#include "support/push_now.hpp"
#include "support/temp_dir.hpp"
#include "support/test_queue.hpp"
#include "unit/plugin/load_outcome.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <iterator>

using namespace coyote::host::plugin;
namespace fs = std::filesystem;

namespace {

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

int run(const std::string& command, const fs::path& log) {
  std::string full = command + " >>" + quoted(log) + " 2>&1";
  return std::system(full.c_str());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("the custom-driver example builds against the installed SDK and loads",
          "[plugin][example]") {
  coyote::test::TempDir work;
  const fs::path prefix = work.path() / "prefix";
  const fs::path build = work.path() / "build";
  const fs::path log = work.path() / "build.log";
  const std::string cmake = quoted(COYOTE_CMAKE_COMMAND);

  // Each step appends to one log, shown in full when a step fails.
  auto step = [&](const std::string& command) {
    if (run(command, log) != 0) FAIL("command failed: " << command << "\n" << read_file(log));
  };
  step(cmake + " --install " + quoted(COYOTE_TEST_BINARY_DIR) + " --prefix " + quoted(prefix) +
       " --component sdk");
  REQUIRE(fs::exists(prefix / "lib/cmake/coyote-sdk/coyote-sdkConfig.cmake"));
  REQUIRE(fs::exists(prefix / "include/coyote/sdk/abi.hpp"));
  step(cmake + " -S " + quoted(COYOTE_EXAMPLE_DIR) + " -B " + quoted(build) +
       " -DCMAKE_BUILD_TYPE=Debug -DCMAKE_PREFIX_PATH=" + quoted(prefix) +
       " -DCMAKE_CXX_COMPILER=" + quoted(COYOTE_CXX_COMPILER));
  step(cmake + " --build " + quoted(build));
  const fs::path plugin = build / "libmy_awesome_driver.so";
  REQUIRE(fs::exists(plugin));

  coyote::test::MapConfig config;
  DriverRegistry registry;
  PluginLoader loader(registry, config);
  auto result = loader.load(PluginCandidate{plugin, true, "test"});
  REQUIRE(coyote::test::outcome_of(result) == "loaded");
  const auto* entry = registry.find("my_awesome_driver");
  REQUIRE(entry != nullptr);
  CHECK(entry->plugin.plugin_name == "my_awesome_plugin");

  coyote::test::TestQueue queue(1);
  auto driver = construct_from_config(*entry, "jobs.pipelines.awesome.config", queue,
                                      coyote::sdk::Pipeline("awesome", "my_awesome_driver", 10));
  coyote::sdk::Message first;
  first.id = "1";
  first.name = "first";
  coyote::sdk::Message second = first;
  second.id = "2";

  REQUIRE(coyote::test::push_now(*driver, first).is_ok());
  CHECK(queue.size() == 0);  // not consuming yet
  REQUIRE(driver->run().is_ok());
  REQUIRE(coyote::test::push_now(*driver, second).is_ok());
  REQUIRE(queue.size() == 1);  // capacity 1: the second waits in the driver for room

  auto job = queue.take();  // frees room: the driver's on_room callback moves "2" in
  CHECK(job->id() == "1");
  CHECK(job->context().find("\"driver\":\"my_awesome_driver\"") != std::string::npos);
  CHECK(job->ack().is_ok());
  REQUIRE(queue.size() == 1);

  auto retry = queue.take();
  CHECK(retry->id() == "2");
  REQUIRE(retry->requeue({{"attempt", {"2"}}}, std::chrono::seconds(0)).is_ok());
  retry.reset();
  REQUIRE(queue.size() == 1);
  auto again = queue.take();
  CHECK(again->id() == "2");
  CHECK(again->headers().at("attempt") == std::vector<std::string>{"2"});
  CHECK(again->ack().is_ok());

  REQUIRE(driver->pause().is_ok());
  coyote::sdk::Message delayed = first;
  delayed.id = "3";
  delayed.options.delay_seconds = 1;
  REQUIRE(coyote::test::push_now(*driver, delayed).is_ok());
  CHECK(driver->state().delayed == 1);
  CHECK_FALSE(driver->state().ready);
  REQUIRE(driver->resume().is_ok());
  REQUIRE(queue.wait_for_size(1, std::chrono::seconds(10)));
  CHECK(queue.take()->id() == "3");
  CHECK(driver->stop().is_ok());
}
