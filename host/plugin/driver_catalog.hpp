// DriverCatalog: how the jobs engine builds drivers, without knowing about plugins.
#pragma once

#include <coyote/sdk/driver.hpp>
#include <coyote/sdk/pipeline.hpp>
#include <coyote/sdk/queue.hpp>
#include <coyote/sdk/result.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::plugin {

/// Implemented by DriverRegistry. Every driver it builds never throws: each method's exception
/// becomes a Status error (or, for state(), the State's error) naming the driver, its plugin
/// file and the pipeline, so the engine calls drivers without guards of its own. Header-only so
/// that the engine does not link the plugin loader.
///
/// Threading: loop thread (or startup, before the loop runs).
class DriverCatalog {
 public:
  DriverCatalog() = default;
  virtual ~DriverCatalog() = default;
  DriverCatalog(const DriverCatalog&) = delete;
  DriverCatalog& operator=(const DriverCatalog&) = delete;
  DriverCatalog(DriverCatalog&&) = delete;
  DriverCatalog& operator=(DriverCatalog&&) = delete;

  /// Every driver name, sorted (for "unknown driver ...; available: ..." messages).
  [[nodiscard]] virtual std::vector<std::string> names() const = 0;
  [[nodiscard]] virtual bool has(std::string_view driver) const = 0;

  /// A pipeline from .rr.yaml, built by the driver `pipeline.driver()` names (which must exist).
  /// Control plane: throws the driver's sdk::ConfigError unchanged (the user fixes the YAML), or
  /// PluginError when the driver failed otherwise or refused the pipeline.
  virtual std::unique_ptr<sdk::Driver> from_config(std::string_view config_key, sdk::Queue& queue,
                                                   const sdk::Pipeline& pipeline) = 0;

  /// A pipeline declared at runtime (jobs.Declare). Never throws: a failure is the error.
  virtual sdk::Result<std::unique_ptr<sdk::Driver>> from_pipeline(const sdk::Pipeline& pipeline,
                                                                  sdk::Queue& queue) noexcept = 0;
};

}  // namespace coyote::host::plugin
