// RrSchema: the .rr.yaml schema Coyote checks — every area's key table composed, and their rules.
#pragma once

#include "config/config_document.hpp"
#include "config/diagnostic.hpp"
#include "config/key_spec.hpp"
#include "config/schema.hpp"

#include <string_view>
#include <vector>

namespace coyote::host::cli {

/// The sections Coyote owns, each from the file that reads it: version (config), rpc
/// (cli/options.cpp), server and the pools (worker/pool_config.cpp), logs (log/log.cpp), jobs
/// (jobs/engine.cpp, worker/pool_config.cpp, jobs/pipelines.cpp and jobs/retry_policy.cpp),
/// coyote (plugin/plugin_discovery.cpp); the rules between keys (worker/pool_config.cpp,
/// jobs/pipelines.cpp); RoadRunner's other sections, which are not typos. It lives here, in the
/// composition root, because it is the one place that knows every area.
[[nodiscard]] const config::Schema& rr_schema();

/// config::validate against rr_schema().
[[nodiscard]] std::vector<config::Diagnostic> validate(const config::ConfigDocument& doc,
                                                       const config::ValidateOptions& options = {});
/// config::validate_or_throw against rr_schema(): throws the first error, returns the warnings.
std::vector<config::Diagnostic> validate_or_throw(const config::ConfigDocument& doc,
                                                  const config::ValidateOptions& options = {});

/// One generated key table of config/reference.md: the lines between `<!-- keys NAME -->` and
/// `<!-- /keys -->`, rendered from `section` with its keys written under `prefix` ("" writes
/// them relative, as the pool table does).
struct ReferenceTable {
  std::string_view name;
  const config::Spec* section;
  std::string_view prefix;
};
[[nodiscard]] std::vector<ReferenceTable> reference_tables();

}  // namespace coyote::host::cli
