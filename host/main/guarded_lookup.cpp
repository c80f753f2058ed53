#include "main/guarded_lookup.hpp"

#include "plugin/guarded_driver.hpp"

#include <stdexcept>

namespace coyote::host::cli {

class GuardedLookup::Adapter final : public sdk::DriverConstructor {
 public:
  explicit Adapter(const plugin::DriverEntry& entry) : entry_(entry) {}

  [[nodiscard]] std::string_view name() const override { return entry_.name; }

  std::unique_ptr<sdk::Driver> from_config(std::string_view config_key, sdk::Queue& queue,
                                           const sdk::Pipeline& pipeline) override {
    return plugin::construct_from_config(entry_, config_key, queue, pipeline);
  }

  std::unique_ptr<sdk::Driver> from_pipeline(const sdk::Pipeline& pipeline,
                                             sdk::Queue& queue) override {
    std::unique_ptr<plugin::GuardedDriver> driver;
    if (auto status = plugin::construct_from_pipeline(entry_, pipeline, queue, driver); !status) {
      throw std::runtime_error(status.message());
    }
    return driver;
  }

 private:
  const plugin::DriverEntry& entry_;
};

GuardedLookup::GuardedLookup(const plugin::DriverRegistry& registry) : registry_(registry) {
  for (const plugin::DriverEntry* entry : registry_.entries()) {
    adapters_.push_back(std::make_unique<Adapter>(*entry));
  }
}

GuardedLookup::~GuardedLookup() = default;

jobs::DriverLookup GuardedLookup::lookup() {
  jobs::DriverLookup result;
  result.available = registry_.names();
  result.find = [this](std::string_view name) -> sdk::DriverConstructor* {
    for (auto& adapter : adapters_) {
      if (adapter->name() == name) return adapter.get();
    }
    return nullptr;
  };
  return result;
}

}  // namespace coyote::host::cli
