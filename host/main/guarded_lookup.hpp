// Guarded driver lookup: hands the jobs engine constructors whose drivers never throw into it.
#pragma once

#include "jobs/engine.hpp"
#include "plugin/driver_registry.hpp"

#include <memory>
#include <vector>

namespace coyote::host::cli {

/// Adapts the plugin registry to the engine's DriverLookup. Every driver the engine builds is a
/// plugin::GuardedDriver, so an exception thrown by plugin code becomes a Status error of that
/// plugin instead of unwinding the event loop. Keeps its adapters alive; must outlive the engine.
class GuardedLookup {
 public:
  explicit GuardedLookup(const plugin::DriverRegistry& registry);
  ~GuardedLookup();
  GuardedLookup(const GuardedLookup&) = delete;
  GuardedLookup& operator=(const GuardedLookup&) = delete;

  [[nodiscard]] jobs::DriverLookup lookup();

 private:
  class Adapter;
  const plugin::DriverRegistry& registry_;
  std::vector<std::unique_ptr<Adapter>> adapters_;
};

}  // namespace coyote::host::cli
