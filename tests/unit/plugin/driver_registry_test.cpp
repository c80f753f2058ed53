#include "plugin/driver_registry.hpp"

#include "plugin/plugin_host.hpp"
#include "support/map_config.hpp"

#include <catch2/catch.hpp>

using namespace coyote::host::plugin;
using Catch::Matchers::Contains;

namespace {

class NamedConstructor final : public coyote::sdk::DriverConstructor {
 public:
  explicit NamedConstructor(std::string name) : name_(std::move(name)) {}
  [[nodiscard]] std::string_view name() const override { return name_; }
  std::unique_ptr<coyote::sdk::Driver> from_config(std::string_view, coyote::sdk::Queue&,
                                                   const coyote::sdk::Pipeline&) override {
    return nullptr;
  }
  std::unique_ptr<coyote::sdk::Driver> from_pipeline(const coyote::sdk::Pipeline&,
                                                     coyote::sdk::Queue&) override {
    return nullptr;
  }

 private:
  std::string name_;
};

coyote::sdk::Status add(DriverRegistry& registry, const std::string& file,
                        std::vector<std::string> names) {
  std::vector<RegisteredDriver> drivers;
  for (auto& name : names) drivers.push_back({name, std::make_unique<NamedConstructor>(name)});
  return registry.add_plugin(PluginInfo{file, "p_" + file, "0.1.0"}, drivers);
}

}  // namespace

TEST_CASE("registry lists drivers sorted by name", "[plugin]") {
  DriverRegistry registry;
  REQUIRE(add(registry, "/b.so", {"memory", "amqp"}));
  REQUIRE(add(registry, "/a.so", {"beanstalk"}));

  CHECK(registry.names() == std::vector<std::string>{"amqp", "beanstalk", "memory"});
  auto rows = driver_rows(registry);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].name == "amqp");
  CHECK(rows[0].file == "/b.so");
  CHECK(rows[0].plugin_name == "p_/b.so");
  CHECK(rows[0].sdk_version == "0.1.0");
  CHECK(rows[1].file == "/a.so");
}

TEST_CASE("registry refuses a plugin that registers one name twice", "[plugin]") {
  DriverRegistry registry;
  const auto error = add(registry, "/x.so", {"memory", "memory"});
  REQUIRE_FALSE(error);
  CHECK_THAT(error.message(), Contains("registers driver \"memory\" twice"));
  CHECK(registry.empty());
}
