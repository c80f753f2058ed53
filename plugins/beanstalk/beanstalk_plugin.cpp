// The beanstalk driver plugin's entry point.
#include "beanstalk/beanstalk_driver.hpp"

#include <coyote/sdk/abi.hpp>

#include <memory>

namespace {

void register_drivers(coyote::sdk::Registrar& registrar) {
  registrar.add_driver(std::make_unique<coyote::drivers::beanstalk::BeanstalkConstructor>(
      registrar.config(), registrar.logger()));
}

}  // namespace

COYOTE_PLUGIN("beanstalk", register_drivers)
