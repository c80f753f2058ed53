#include "plugin/plugin_loader.hpp"

#include "support/map_config.hpp"

#include <coyote/sdk/abi.hpp>

#include <catch2/catch.hpp>

using coyote::host::plugin::DriverRegistry;
using coyote::host::plugin::LoadResult;
using coyote::host::plugin::PluginCandidate;
using coyote::host::plugin::PluginLoader;
using Kind = LoadResult::Kind;
using Catch::Matchers::Contains;

namespace {

PluginCandidate explicit_file(const char* path) { return PluginCandidate{path, true, "test"}; }
PluginCandidate scanned_file(const char* path) { return PluginCandidate{path, false, "test dir"}; }

}  // namespace

TEST_CASE("loader registers the drivers of a well-formed plugin", "[plugin]") {
  coyote::test::MapConfig config;
  DriverRegistry registry;
  PluginLoader loader(registry, config);

  auto result = loader.load(explicit_file(COYOTE_FIXTURE_GOOD));

  INFO(result.message);
  REQUIRE(result.kind == Kind::kLoaded);
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

  REQUIRE(loader.load(explicit_file(COYOTE_FIXTURE_GOOD)).kind == Kind::kLoaded);
  CHECK(loader.load(scanned_file(COYOTE_FIXTURE_GOOD)).kind == Kind::kAlreadyLoaded);
  CHECK(registry.size() == 1);
}

TEST_CASE("loader rejects an ABI version mismatch naming both versions", "[plugin]") {
  coyote::test::MapConfig config;
  DriverRegistry registry;
  PluginLoader loader(registry, config);

  auto result = loader.load(explicit_file(COYOTE_FIXTURE_ABI_MISMATCH));

  REQUIRE(result.kind == Kind::kFailed);
  CHECK_THAT(result.message, Contains(COYOTE_FIXTURE_ABI_MISMATCH));
  CHECK_THAT(result.message, Contains("ABI version 999, this host speaks 2"));
  CHECK_THAT(result.message, Contains("rebuild the plugin against SDK " COYOTE_SDK_VERSION));
  CHECK(registry.empty());
}

TEST_CASE("loader rejects a plugin built with another compiler", "[plugin]") {
  coyote::test::MapConfig config;
  DriverRegistry registry;
  PluginLoader loader(registry, config);

  auto result = loader.load(explicit_file(COYOTE_FIXTURE_FINGERPRINT_MISMATCH));

  REQUIRE(result.kind == Kind::kFailed);
  CHECK_THAT(result.message, Contains(COYOTE_FIXTURE_FINGERPRINT_MISMATCH));
  CHECK_THAT(result.message, Contains("gcc-1,"));
  CHECK_THAT(result.message, Contains("this host with " COYOTE_SDK_COMPILER));
  CHECK(registry.empty());
}

TEST_CASE("loader reports a registration that throws and registers nothing from it", "[plugin]") {
  coyote::test::MapConfig config;
  DriverRegistry registry;
  PluginLoader loader(registry, config);

  auto result = loader.load(explicit_file(COYOTE_FIXTURE_THROWS_REGISTER));

  REQUIRE(result.kind == Kind::kFailed);
  CHECK_THAT(result.message, Contains(std::string("plugin ") + COYOTE_FIXTURE_THROWS_REGISTER +
                                      " (throws_register) failed while registering: boom"));
  CHECK(registry.find("fixture_half") == nullptr);
  CHECK(loader.loaded().empty());
}

TEST_CASE("loader refuses a driver name registered twice, naming both files", "[plugin]") {
  coyote::test::MapConfig config;
  DriverRegistry registry;
  PluginLoader loader(registry, config);

  REQUIRE(loader.load(explicit_file(COYOTE_FIXTURE_DUP_A)).kind == Kind::kLoaded);
  auto result = loader.load(explicit_file(COYOTE_FIXTURE_DUP_B));

  REQUIRE(result.kind == Kind::kFailed);
  CHECK_THAT(result.message, Contains(COYOTE_FIXTURE_DUP_A));
  CHECK_THAT(result.message, Contains(COYOTE_FIXTURE_DUP_B));
  CHECK_THAT(result.message, Contains("driver \"dup\" is already registered"));
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
    CHECK(result.kind == Kind::kSkipped);
  }
  SECTION("named explicitly: an error that says it is not a plugin") {
    auto result = loader.load(explicit_file(COYOTE_FIXTURE_NO_ENTRY));
    REQUIRE(result.kind == Kind::kFailed);
    CHECK_THAT(result.message, Contains(COYOTE_FIXTURE_NO_ENTRY));
    CHECK_THAT(result.message, Contains("no coyote_plugin_entry symbol"));
  }
  CHECK(registry.empty());
}

TEST_CASE("loader skips a scanned non-ELF file but rejects an explicit one", "[plugin]") {
  coyote::test::MapConfig config;
  DriverRegistry registry;
  PluginLoader loader(registry, config);

  SECTION("found by a directory scan: skipped") {
    CHECK(loader.load(scanned_file(COYOTE_FIXTURE_NOT_ELF)).kind == Kind::kSkipped);
  }
  SECTION("named explicitly: an error") {
    auto result = loader.load(explicit_file(COYOTE_FIXTURE_NOT_ELF));
    REQUIRE(result.kind == Kind::kFailed);
    CHECK_THAT(result.message, Contains("not a shared library"));
    CHECK_THAT(result.message, Contains("(from test)"));
  }
}

TEST_CASE("loader reports a missing file", "[plugin]") {
  coyote::test::MapConfig config;
  DriverRegistry registry;
  PluginLoader loader(registry, config);

  auto result = loader.load(explicit_file(COYOTE_FIXTURE_DIR "/does_not_exist.so"));

  REQUIRE(result.kind == Kind::kFailed);
  CHECK_THAT(result.message, Contains("does_not_exist.so"));
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
