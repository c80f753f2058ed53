// Loads the real memory driver plugin (.so) for engine tests: dlopen + entry + a test Registrar.
// (The production loader belongs to host/plugin; this is the minimum to get its constructors.)
#pragma once

#include "jobs/engine.hpp"
#include "support/silent_logger.hpp"

#include <coyote/sdk/abi.hpp>
#include <coyote/sdk/registrar.hpp>

#include <dlfcn.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace coyote::test {

class TestRegistrar final : public sdk::Registrar {
 public:
  explicit TestRegistrar(const sdk::Config& config) : config_(config) {}
  void add_driver(std::unique_ptr<sdk::DriverConstructor> c) override {
    constructors.push_back(std::move(c));
  }
  [[nodiscard]] const sdk::Config& config() const override { return config_; }
  [[nodiscard]] sdk::Logger& logger() override { return logger_; }

  std::vector<std::unique_ptr<sdk::DriverConstructor>> constructors;

 private:
  const sdk::Config& config_;
  SilentLogger logger_;
};

/// Keeps the constructors alive; the library itself is never unloaded (project rule).
class MemoryPlugin {
 public:
  explicit MemoryPlugin(const sdk::Config& config) : registrar_(config) {
    void* handle = dlopen(COYOTE_MEMORY_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) throw std::runtime_error(std::string("dlopen: ") + dlerror());
    auto entry = reinterpret_cast<coyote_plugin_entry_fn>(dlsym(handle, COYOTE_PLUGIN_ENTRY_NAME));
    if (entry == nullptr) throw std::runtime_error("no entry symbol in the memory plugin");
    const coyote_plugin_descriptor* d = entry();
    if (d->abi_version != COYOTE_SDK_ABI_VERSION) throw std::runtime_error("ABI mismatch");
    char error[256] = {};
    if (d->register_plugin(&registrar_, error, sizeof error) != 0) {
      throw std::runtime_error(std::string("register: ") + error);
    }
  }

  [[nodiscard]] host::jobs::DriverLookup lookup() {
    host::jobs::DriverLookup l;
    for (auto& c : registrar_.constructors) l.available.emplace_back(c->name());
    l.find = [this](std::string_view name) -> sdk::DriverConstructor* {
      for (auto& c : registrar_.constructors) {
        if (c->name() == name) return c.get();
      }
      return nullptr;
    };
    return l;
  }

 private:
  TestRegistrar registrar_;
};

}  // namespace coyote::test
