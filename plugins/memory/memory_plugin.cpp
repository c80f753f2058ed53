// The memory driver plugin's entry point.
#include "memory/memory_driver.hpp"

#include <coyote/sdk/abi.hpp>

#include <memory>

namespace {

void register_drivers(coyote::sdk::Registrar& registrar) {
  registrar.add_driver(std::make_unique<coyote::drivers::memory::MemoryConstructor>(
      registrar.config(), registrar.logger()));
}

}  // namespace

COYOTE_PLUGIN("memory", register_drivers)
