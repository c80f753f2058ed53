#include "plugin/guarded_driver.hpp"
#include "support/push_now.hpp"
#include "unit/plugin/load_outcome.hpp"

#include "plugin/plugin_error.hpp"
#include "plugin/plugin_loader.hpp"
#include "support/map_config.hpp"
#include "support/test_queue.hpp"

#include <catch2/catch.hpp>

using namespace coyote::host::plugin;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

const DriverEntry& load_driver(DriverRegistry& registry, const coyote::sdk::Config& config,
                               const char* file, const char* driver) {
  PluginLoader loader(registry, config);
  auto result = loader.load(PluginCandidate{file, true, "test"});
  REQUIRE(coyote::test::outcome_of(result) == "loaded");
  const auto* entry = registry.find(driver);
  REQUIRE(entry != nullptr);
  return *entry;
}

coyote::sdk::Pipeline pipeline_with(std::string build) {
  return coyote::sdk::Pipeline("p1", "fixture_throws", 10, {{"build", std::move(build)}});
}

}  // namespace

TEST_CASE("exceptions from driver methods become Status errors naming driver and file",
          "[plugin]") {
  coyote::test::MapConfig config;
  coyote::test::TestQueue queue;
  DriverRegistry registry;
  const auto& entry =
      load_driver(registry, config, COYOTE_FIXTURE_THROWS_IN_DRIVER, "fixture_throws");
  auto driver = construct_from_config(entry, "jobs.pipelines.p1.config", queue, pipeline_with(""));
  REQUIRE(driver != nullptr);
  const std::string prefix = std::string("driver fixture_throws (file ") +
                             COYOTE_FIXTURE_THROWS_IN_DRIVER + ", pipeline p1): ";

  SECTION("push") {
    auto status = coyote::test::push_now(*driver, coyote::sdk::Message{});
    REQUIRE_FALSE(status.is_ok());
    CHECK(status.message() == prefix + "push threw: push exploded");
  }
  SECTION("run, stop and resume") {
    CHECK(driver->run().message() == prefix + "run threw: run exploded");
    CHECK(driver->stop().message() == prefix + "stop threw: stop exploded");
    CHECK(driver->resume().message() == prefix + "resume threw: resume exploded");
  }
  SECTION("an exception not derived from std::exception") {
    CHECK(driver->pause().message() == prefix + "pause threw a non-standard exception");
  }
  SECTION("state reports the error in the State") {
    auto state = driver->state();
    CHECK(state.pipeline == "p1");
    CHECK(state.driver == "fixture_throws");
    CHECK_FALSE(state.ready);
    CHECK(state.error == prefix + "state threw: state exploded");
  }
}

TEST_CASE("construct_from_config passes a ConfigError through and wraps anything else",
          "[plugin]") {
  coyote::test::MapConfig config;
  coyote::test::TestQueue queue;
  DriverRegistry registry;
  const auto& entry =
      load_driver(registry, config, COYOTE_FIXTURE_THROWS_IN_DRIVER, "fixture_throws");

  SECTION("ConfigError reaches the caller unchanged") {
    try {
      (void)construct_from_config(entry, "jobs.pipelines.p1.config", queue,
                                  pipeline_with("config"));
      FAIL("expected a ConfigError");
    } catch (const coyote::sdk::ConfigError& e) {
      CHECK(e.file() == "fixture.yaml");
      CHECK(e.line() == 3);
      CHECK(e.key() == "jobs.pipelines.p1.config");
    }
  }
  SECTION("another exception becomes a PluginError naming the plugin file") {
    try {
      (void)construct_from_config(entry, "jobs.pipelines.p1.config", queue, pipeline_with("throw"));
      FAIL("expected a PluginError");
    } catch (const PluginError& e) {
      CHECK(e.file() == COYOTE_FIXTURE_THROWS_IN_DRIVER);
      CHECK_THAT(e.what(), Contains("from_config threw: cannot build"));
      CHECK_THAT(e.what(), Contains(COYOTE_FIXTURE_THROWS_IN_DRIVER));
    }
  }
  SECTION("a null driver is a PluginError") {
    CHECK_THROWS_AS(construct_from_config(entry, "k", queue, pipeline_with("null")), PluginError);
  }
}

TEST_CASE("construct_from_pipeline reports every failure as an error", "[plugin]") {
  coyote::test::MapConfig config;
  coyote::test::TestQueue queue;
  DriverRegistry registry;
  const auto& entry =
      load_driver(registry, config, COYOTE_FIXTURE_THROWS_IN_DRIVER, "fixture_throws");

  SECTION("a thrown exception") {
    auto driver = construct_from_pipeline(entry, pipeline_with("throw"), queue);
    REQUIRE_FALSE(driver);
    CHECK_THAT(driver.error(), Contains("from_pipeline threw: cannot build"));
    // Issue 12 item 16: the error reaches jobs.Declare's client; the plugin's path stays in
    // the host log, the client sees its file name.
    const std::string path = COYOTE_FIXTURE_THROWS_IN_DRIVER;
    CHECK_THAT(driver.error(), !Contains(path));
    CHECK_THAT(driver.error(),
               Contains("(file " + path.substr(path.rfind('/') + 1) + ", pipeline p1)"));
  }
  SECTION("a ConfigError keeps its located text") {
    auto driver = construct_from_pipeline(entry, pipeline_with("config"), queue);
    REQUIRE_FALSE(driver);
    CHECK_THAT(driver.error(), StartsWith("fixture.yaml:3:5: declare: bad option"));
  }
  SECTION("a null driver") {
    auto driver = construct_from_pipeline(entry, pipeline_with("null"), queue);
    REQUIRE_FALSE(driver);
    CHECK_THAT(driver.error(), Contains("refused the pipeline"));
  }
  SECTION("success") {
    auto driver = construct_from_pipeline(entry, pipeline_with(""), queue);
    REQUIRE(driver);
    CHECK(*driver != nullptr);
  }
  SECTION("through the registry, as the engine builds declared pipelines") {
    auto driver = registry.from_pipeline(pipeline_with("throw"), queue);
    REQUIRE_FALSE(driver);
    CHECK_THAT(driver.error(), Contains("from_pipeline threw: cannot build"));
    auto good = registry.from_pipeline(pipeline_with(""), queue);
    REQUIRE(good);
    CHECK(good->get()->pause().message() == std::string("driver fixture_throws (file ") +
                                                COYOTE_FIXTURE_THROWS_IN_DRIVER +
                                                ", pipeline p1): pause threw a non-standard "
                                                "exception");
  }
}

TEST_CASE("a driver from a loaded plugin moves pushed jobs into the queue", "[plugin]") {
  coyote::test::MapConfig config;
  coyote::test::TestQueue queue;
  DriverRegistry registry;
  const auto& entry = load_driver(registry, config, COYOTE_FIXTURE_GOOD, "fixture_good");
  coyote::sdk::Pipeline pipeline("p1", "fixture_good", 7);
  auto driver = construct_from_config(entry, "jobs.pipelines.p1.config", queue, pipeline);

  coyote::sdk::Message message;
  message.id = "job-1";
  message.name = "App\\Job";
  REQUIRE(coyote::test::push_now(*driver, message).is_ok());
  CHECK(queue.size() == 0);
  REQUIRE(driver->run().is_ok());
  REQUIRE(queue.size() == 1);
  auto job = queue.take();
  CHECK(job->id() == "job-1");
  CHECK(job->priority() == 7);
  CHECK(job->driver_name() == "fixture_good");
  CHECK(job->ack().is_ok());
}

TEST_CASE("the plugin's config is the one the loader was given", "[plugin]") {
  coyote::test::MapConfig config;
  config.set("jobs.pipelines.p1.config.prefetch", std::int64_t{-1});
  coyote::test::TestQueue queue;
  DriverRegistry registry;
  const auto& entry = load_driver(registry, config, COYOTE_FIXTURE_GOOD, "fixture_good");

  CHECK_THROWS_WITH(construct_from_config(entry, "jobs.pipelines.p1.config", queue,
                                          coyote::sdk::Pipeline("p1", "fixture_good", 10)),
                    Contains("jobs.pipelines.p1.config.prefetch: prefetch must be positive"));
}
