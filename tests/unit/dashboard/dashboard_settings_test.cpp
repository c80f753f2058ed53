#include "dashboard/dashboard_settings.hpp"

#include <coyote/sdk/config.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>

using coyote::host::config::ConfigDocument;
using coyote::host::dashboard::dashboard_settings;

namespace {
ConfigDocument doc(const std::string& yaml) {
  return ConfigDocument::parse("version: \"3\"\n" + yaml, ".rr.yaml");
}
}  // namespace

TEST_CASE("the dashboard is off without its section and on loopback with it",
          "[dashboard][config]") {
  CHECK_FALSE(dashboard_settings(doc("rpc: {listen: tcp://127.0.0.1:6001}\n"), nullptr));
  const auto on = dashboard_settings(doc("dashboard: {}\n"), nullptr);
  REQUIRE(on);
  CHECK(on->address == "127.0.0.1:2116");
  CHECK(on->token.empty());
}

TEST_CASE("a non-loopback dashboard address without a token refuses to start",
          "[dashboard][config]") {
  try {
    (void)dashboard_settings(doc("dashboard: {address: \"0.0.0.0:2116\"}\n"), nullptr);
    FAIL("accepted a remote address without a token");
  } catch (const coyote::sdk::ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("dashboard.token"));
    CHECK_THAT(e.what(), Catch::Contains("COYOTE_DASHBOARD_TOKEN"));
  }
  const auto with =
      dashboard_settings(doc("dashboard: {address: \"0.0.0.0:2116\", token: \"t0k\"}\n"), nullptr);
  REQUIRE(with);
  CHECK(with->token == "t0k");
}

TEST_CASE("the dashboard token can come from the environment", "[dashboard][config]") {
  ::setenv("COYOTE_TEST_DASHBOARD_TOKEN", "from-env", 1);
  const auto s =
      dashboard_settings(doc("dashboard: {address: \":2116\"}\n"), "COYOTE_TEST_DASHBOARD_TOKEN");
  ::unsetenv("COYOTE_TEST_DASHBOARD_TOKEN");
  REQUIRE(s);
  CHECK(s->token == "from-env");
}

TEST_CASE("a malformed dashboard address names the key", "[dashboard][config]") {
  CHECK_THROWS_WITH(dashboard_settings(doc("dashboard: {address: \"http://x:1\"}\n"), nullptr),
                    Catch::Contains("dashboard.address"));
  CHECK_THROWS_WITH(dashboard_settings(doc("dashboard: {payload_preview: 1}\n"), nullptr),
                    Catch::Contains("payload_preview"));
}
