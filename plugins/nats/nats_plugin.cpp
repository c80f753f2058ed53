// The nats (JetStream) driver plugin's entry point.
#include "nats/nats_driver.hpp"

#include <coyote/sdk/abi.hpp>

#include <memory>

namespace {

void register_drivers(coyote::sdk::Registrar& registrar) {
  registrar.add_driver(std::make_unique<coyote::drivers::nats::NatsConstructor>(
      registrar.config(), registrar.logger()));
}

}  // namespace

COYOTE_PLUGIN("nats", register_drivers)
