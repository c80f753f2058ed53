// The amqp driver plugin's entry point.
#include "amqp/amqp_driver.hpp"

#include <coyote/sdk/abi.hpp>

#include <memory>

namespace {

void register_drivers(coyote::sdk::Registrar& registrar) {
  registrar.add_driver(std::make_unique<coyote::drivers::amqp::AmqpConstructor>(
      registrar.config(), registrar.logger()));
}

}  // namespace

COYOTE_PLUGIN("amqp", register_drivers)
