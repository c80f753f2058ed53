// The Redis Streams driver plugin's entry point.
#include "redis/redis_driver.hpp"

#include <coyote/sdk/abi.hpp>

#include <memory>

namespace {

void register_drivers(coyote::sdk::Registrar& registrar) {
  registrar.add_driver(std::make_unique<coyote::drivers::redis::RedisConstructor>(
      registrar.config(), registrar.logger()));
}

}  // namespace

COYOTE_PLUGIN("redis", register_drivers)
