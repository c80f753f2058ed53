#include "plugin/host_registrar.hpp"

#include <exception>

namespace coyote::host::plugin {

void HostRegistrar::add_driver(std::unique_ptr<sdk::DriverConstructor> constructor) {
  if (!problem_.empty()) return;
  if (!constructor) {
    problem_ = "add_driver was called with a null constructor";
    return;
  }
  std::string name;
  try {
    name = std::string(constructor->name());
  } catch (const std::exception& e) {
    problem_ = std::string("a driver constructor's name() threw: ") + e.what();
    return;
  } catch (...) {
    problem_ = "a driver constructor's name() threw a non-standard exception";
    return;
  }
  if (name.empty()) {
    problem_ = "a driver constructor has an empty name()";
    return;
  }
  drivers_.push_back(RegisteredDriver{std::move(name), std::move(constructor)});
}

}  // namespace coyote::host::plugin
