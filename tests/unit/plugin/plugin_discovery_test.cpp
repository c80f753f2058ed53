#include "plugin/plugin_discovery.hpp"

#include "plugin/plugin_host.hpp"
#include "support/map_config.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

using namespace coyote::host::plugin;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> file_names(const std::vector<PluginCandidate>& candidates) {
  std::vector<std::string> out;
  for (const auto& c : candidates) out.push_back(c.path.filename().string());
  return out;
}

// A plugin directory holding copies of the fixtures under chosen names.
void put(const fs::path& dir, const char* fixture, const std::string& name) {
  fs::copy_file(fixture, dir / name);
}

}  // namespace

TEST_CASE("a directory scan takes *.so regular files sorted by name", "[plugin]") {
  coyote::test::TempDir dir;
  put(dir.path(), COYOTE_FIXTURE_GOOD, "c_good.so");
  put(dir.path(), COYOTE_FIXTURE_NOT_ELF, "a_text.so");
  put(dir.path(), COYOTE_FIXTURE_NO_ENTRY, "b_no_entry.so");
  put(dir.path(), COYOTE_FIXTURE_GOOD, "good.so.bak");
  fs::create_directory(dir.path() / "sub.so");

  auto found = scan_plugin_dir(dir.path(), "test");

  CHECK(file_names(found) == std::vector<std::string>{"a_text.so", "b_no_entry.so", "c_good.so"});
  for (const auto& c : found) CHECK_FALSE(c.explicit_file);
}

TEST_CASE("loading a directory skips files that are not plugins", "[plugin]") {
  coyote::test::TempDir dir;
  put(dir.path(), COYOTE_FIXTURE_NOT_ELF, "a_text.so");
  put(dir.path(), COYOTE_FIXTURE_NO_ENTRY, "b_no_entry.so");
  put(dir.path(), COYOTE_FIXTURE_GOOD, "c_good.so");
  coyote::test::MapConfig config;
  DriverRegistry registry;
  PluginSearch search;
  search.env_path = dir.path().string();

  auto report = load_plugins(search, config, registry);

  INFO(report.error_text());
  CHECK(report.ok());
  CHECK(registry.names() == std::vector<std::string>{"fixture_good"});
  REQUIRE(report.plugins.size() == 1);
  CHECK(report.plugins[0].info.file == dir.path() / "c_good.so");
}

TEST_CASE("COYOTE_PLUGIN_PATH takes colon-separated files and directories", "[plugin]") {
  coyote::test::TempDir dir;
  put(dir.path(), COYOTE_FIXTURE_DUP_A, "dup_a.so");
  std::string value = std::string(COYOTE_FIXTURE_GOOD) + "::" + dir.path().string() + ":";
  ::setenv(kPluginPathEnv, value.c_str(), 1);
  coyote::test::MapConfig config;

  auto search = default_plugin_search(config, "/");
  ::unsetenv(kPluginPathEnv);
  CHECK(search.env_path == value);
  search.builtin_dir.reset();
  auto discovery = discover_plugins(search);

  CHECK(discovery.errors.empty());
  REQUIRE(discovery.candidates.size() == 2);
  CHECK(discovery.candidates[0].path == COYOTE_FIXTURE_GOOD);
  CHECK(discovery.candidates[0].explicit_file);
  CHECK(discovery.candidates[0].origin == "COYOTE_PLUGIN_PATH");
  CHECK(discovery.candidates[1].path == dir.path() / "dup_a.so");
  CHECK_FALSE(discovery.candidates[1].explicit_file);
}

TEST_CASE("coyote.plugins entries resolve relative paths against the config's directory",
          "[plugin]") {
  coyote::test::TempDir dir;
  fs::create_directory(dir.path() / "plugins");
  put(dir.path() / "plugins", COYOTE_FIXTURE_GOOD, "good.so");
  coyote::test::MapConfig config;
  config.set("coyote.plugins", std::vector<std::string>{"plugins/good.so", COYOTE_FIXTURE_DUP_A});

  auto search = default_plugin_search(config, dir.path());
  search.builtin_dir.reset();
  search.env_path.clear();
  DriverRegistry registry;
  auto report = load_plugins(search, config, registry);

  INFO(report.error_text());
  CHECK(report.ok());
  CHECK(registry.names() == std::vector<std::string>{"dup", "dup_only_a", "fixture_good"});
  CHECK(registry.find("fixture_good")->plugin.file == dir.path() / "plugins" / "good.so");
}

TEST_CASE("explicit plugin paths that are missing or not plugins are errors", "[plugin]") {
  coyote::test::MapConfig config;
  DriverRegistry registry;
  PluginSearch search;

  SECTION("a missing path") {
    search.config_entries = {"nope/missing.so"};
    search.config_base_dir = "/tmp";
    auto report = load_plugins(search, config, registry);
    REQUIRE(report.errors.size() == 1);
    CHECK_THAT(report.errors[0].message, Contains("/tmp/nope/missing.so"));
    CHECK_THAT(report.errors[0].message, Contains("coyote.plugins"));
    CHECK_THAT(report.errors[0].message, Contains("does not exist"));
  }
  SECTION("a text file") {
    search.env_path = COYOTE_FIXTURE_NOT_ELF;
    auto report = load_plugins(search, config, registry);
    REQUIRE(report.errors.size() == 1);
    CHECK_THAT(report.errors[0].message, Contains("not a shared library"));
    CHECK_THAT(report.errors[0].message, Contains("COYOTE_PLUGIN_PATH"));
  }
}

TEST_CASE("a malformed coyote.plugins value is a config error", "[plugin]") {
  coyote::test::MapConfig config;
  // A string or a list is fine (a string is a one-entry list, as the real Config reads it).
  config.set("coyote.plugins.dir", std::string("a map"));
  CHECK_THROWS_AS(default_plugin_search(config, "/"), coyote::sdk::ConfigError);
}

TEST_CASE("the built-in plugin dir is lib/coyote/plugins beside the binary's dir", "[plugin]") {
  // test_plugin lives in <build>/tests, as coyote lives in <build>/bin or <prefix>/bin.
  CHECK(builtin_plugin_dir() ==
        fs::path(COYOTE_TEST_BINARY_DIR "/lib/coyote/plugins").lexically_normal());
}

TEST_CASE("the same plugin found twice through different routes loads once", "[plugin]") {
  coyote::test::MapConfig config;
  DriverRegistry registry;
  PluginSearch search;
  search.env_path = COYOTE_FIXTURE_GOOD;
  search.config_entries = {COYOTE_FIXTURE_GOOD};

  auto report = load_plugins(search, config, registry);

  INFO(report.error_text());
  CHECK(report.ok());
  CHECK(report.plugins.size() == 1);
}
