#include "plugin/plugin_loader.hpp"
#include "unit/plugin/load_outcome.hpp"

#include "support/map_config.hpp"

#include <coyote/sdk/abi.hpp>

#include <catch2/catch.hpp>

using Catch::Matchers::Contains;
using coyote::host::plugin::DriverRegistry;
using coyote::host::plugin::PluginCandidate;
using coyote::host::plugin::PluginLoader;

namespace {

PluginCandidate explicit_file(const char* path) { return PluginCandidate{path, true, "test"}; }
PluginCandidate scanned_file(const char* path) { return PluginCandidate{path, false, "test dir"}; }

}  // namespace

TEST_CASE("loader registers the drivers of a well-formed plugin", "[plugin]") {
  coyote::test::MapConfig config;
  DriverRegistry registry;
  PluginLoader loader(registry, config);

  auto result = loader.load(explicit_file(COYOTE_FIXTURE_GOOD));

  REQUIRE(coyote::test::outcome_of(result) == "loaded");
  const auto* entry = registry.find("fixture_good");
  REQUIRE(entry != nullptr);
  CHECK(entry->constructor != nullptr);
  CHECK(entry->plugin.file == COYOTE_FIXTURE_GOOD);
  CHECK(entry->plugin.plugin_name == "fixture_good_plugin");
  CHECK(entry->plugin.sdk_version == COYOTE_SDK_VERSION);
  REQUIRE(loader.loaded().size() == 1);
  CHECK(loader.loaded()[0].drivers == std::vector<std::string>{"fixture_good"});
}

TEST_CASE("loader loads the same file only once", "[plugin]") {
  coyote::test::MapConfig config;
  DriverRegistry registry;
  PluginLoader loader(registry, config);

  REQUIRE(coyote::test::outcome_of(loader.load(explicit_file(COYOTE_FIXTURE_GOOD))) == "loaded");
  CHECK(coyote::test::outcome_of(loader.load(scanned_file(COYOTE_FIXTURE_GOOD))) ==
        "already loaded");
  CHECK(registry.size() == 1);
}

TEST_CASE("loader rejects an ABI version mismatch naming both versions", "[plugin]") {
  coyote::test::MapConfig config;
  DriverRegistry registry;
  PluginLoader loader(registry, config);

  auto result = loader.load(explicit_file(COYOTE_FIXTURE_ABI_MISMATCH));

  REQUIRE_FALSE(result);
  CHECK_THAT(result.error(), Contains(COYOTE_FIXTURE_ABI_MISMATCH));
  CHECK_THAT(result.error(), Contains("ABI version 999, this host speaks 2"));
  CHECK_THAT(result.error(), Contains("rebuild the plugin against SDK " COYOTE_SDK_VERSION));
  CHECK(registry.empty());
}

TEST_CASE("loader rejects a plugin built with another compiler", "[plugin]") {
  coyote::test::MapConfig config;
  DriverRegistry registry;
  PluginLoader loader(registry, config);

  auto result = loader.load(explicit_file(COYOTE_FIXTURE_FINGERPRINT_MISMATCH));

  REQUIRE_FALSE(result);
  CHECK_THAT(result.error(), Contains(COYOTE_FIXTURE_FINGERPRINT_MISMATCH));
  CHECK_THAT(result.error(), Contains("gcc-1,"));
  CHECK_THAT(result.error(), Contains("this host with " COYOTE_SDK_COMPILER));
  CHECK(registry.empty());
}

TEST_CASE("loader reports a registration that throws and registers nothing from it", "[plugin]") {
  coyote::test::MapConfig config;
  DriverRegistry registry;
  PluginLoader loader(registry, config);

  auto result = loader.load(explicit_file(COYOTE_FIXTURE_THROWS_REGISTER));

  REQUIRE_FALSE(result);
  CHECK_THAT(result.error(), Contains(std::string("plugin ") + COYOTE_FIXTURE_THROWS_REGISTER +
                                      " (throws_register) failed while registering: boom"));
  CHECK(registry.find("fixture_half") == nullptr);
  CHECK(loader.loaded().empty());
}

TEST_CASE("loader refuses a driver name registered twice, naming both files", "[plugin]") {
  coyote::test::MapConfig config;
  DriverRegistry registry;
  PluginLoader loader(registry, config);

  REQUIRE(coyote::test::outcome_of(loader.load(explicit_file(COYOTE_FIXTURE_DUP_A))) == "loaded");
  auto result = loader.load(explicit_file(COYOTE_FIXTURE_DUP_B));

  REQUIRE_FALSE(result);
  CHECK_THAT(result.error(), Contains(COYOTE_FIXTURE_DUP_A));
  CHECK_THAT(result.error(), Contains(COYOTE_FIXTURE_DUP_B));
  CHECK_THAT(result.error(), Contains("driver \"dup\" is already registered"));
  SECTION("the first plugin keeps the name") {
    REQUIRE(registry.find("dup") != nullptr);
    CHECK(registry.find("dup")->plugin.plugin_name == "dup_a");
  }
  SECTION("the refused plugin registers none of its drivers") {
    CHECK(registry.find("dup_only_b") == nullptr);
    CHECK(registry.names() == std::vector<std::string>{"dup", "dup_only_a"});
  }
}

TEST_CASE("loader skips a scanned file without the entry symbol but rejects an explicit one",
          "[plugin]") {
  coyote::test::MapConfig config;
  DriverRegistry registry;
  PluginLoader loader(registry, config);

  SECTION("found by a directory scan: skipped") {
    auto result = loader.load(scanned_file(COYOTE_FIXTURE_NO_ENTRY));
    CHECK(coyote::test::outcome_of(result) == "skipped");
  }
  SECTION("named explicitly: an error that says it is not a plugin") {
    auto result = loader.load(explicit_file(COYOTE_FIXTURE_NO_ENTRY));
    REQUIRE_FALSE(result);
    CHECK_THAT(result.error(), Contains(COYOTE_FIXTURE_NO_ENTRY));
    CHECK_THAT(result.error(), Contains("no coyote_plugin_entry symbol"));
  }
  CHECK(registry.empty());
}

TEST_CASE("loader skips a scanned non-ELF file but rejects an explicit one", "[plugin]") {
  coyote::test::MapConfig config;
  DriverRegistry registry;
  PluginLoader loader(registry, config);

  SECTION("found by a directory scan: skipped") {
    CHECK(coyote::test::outcome_of(loader.load(scanned_file(COYOTE_FIXTURE_NOT_ELF))) == "skipped");
  }
  SECTION("named explicitly: an error") {
    auto result = loader.load(explicit_file(COYOTE_FIXTURE_NOT_ELF));
    REQUIRE_FALSE(result);
    CHECK_THAT(result.error(), Contains("not a shared library"));
    CHECK_THAT(result.error(), Contains("(from test)"));
  }
}

TEST_CASE("loader reports a missing file", "[plugin]") {
  coyote::test::MapConfig config;
  DriverRegistry registry;
  PluginLoader loader(registry, config);

  auto result = loader.load(explicit_file(COYOTE_FIXTURE_DIR "/does_not_exist.so"));

  REQUIRE_FALSE(result);
  CHECK_THAT(result.error(), Contains("does_not_exist.so"));
}

TEST_CASE("loader collects one error per failed plugin and loads the rest", "[plugin]") {
  coyote::test::MapConfig config;
  DriverRegistry registry;
  PluginLoader loader(registry, config);

  auto errors = loader.load_all({explicit_file(COYOTE_FIXTURE_ABI_MISMATCH),
                                 explicit_file(COYOTE_FIXTURE_GOOD),
                                 explicit_file(COYOTE_FIXTURE_THROWS_REGISTER)});

  REQUIRE(errors.size() == 2);
  CHECK(errors[0].file == COYOTE_FIXTURE_ABI_MISMATCH);
  CHECK(errors[1].file == COYOTE_FIXTURE_THROWS_REGISTER);
  CHECK(registry.names() == std::vector<std::string>{"fixture_good"});
}

TEST_CASE("is_elf_file tells shared libraries from text", "[plugin]") {
  CHECK(coyote::host::plugin::is_elf_file(COYOTE_FIXTURE_GOOD));
  CHECK_FALSE(coyote::host::plugin::is_elf_file(COYOTE_FIXTURE_NOT_ELF));
}
