// Pipelines: the pipeline registry — every pipeline with its driver, pool and delivery rules.
#pragma once

#include "config/key_spec.hpp"
#include "config/schema.hpp"
#include "jobs/flow_settings.hpp"
#include "jobs/retry_policy.hpp"
#include "plugin/driver_catalog.hpp"

#include <coyote/sdk/config.hpp>
#include <coyote/sdk/driver.hpp>
#include <coyote/sdk/pipeline.hpp>
#include <coyote/sdk/queue.hpp>
#include <coyote/sdk/result.hpp>
#include <coyote/sdk/status.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::jobs {

/// One pipeline: its definition, the pool whose queue its driver feeds, and the driver.
struct PipelineEntry {
  sdk::Pipeline pipeline;
  std::string pool;  ///< "" = the default pool
  std::unique_ptr<sdk::Driver> driver;
  FlowSettings flow;  ///< weight, max_concurrency, rate_limit
};

/// What happens to a pipeline's jobs that fail: how often they are redelivered, then where they
/// go (a pipeline or a dead-letter store; "" = dropped with an error log line).
struct DeliveryRule {
  RetryPolicy policy;
  std::string dead_letter;
};

/// Longest name jobs.Declare accepts for a pipeline or its dead_letter store.
inline constexpr std::size_t kMaxDeclaredName = 128;

/// Names that jobs.Declare accepts (pipelines and dead_letter stores): 1..kMaxDeclaredName of
/// A-Z a-z 0-9 _ - . : and not starting with a dot. They end up in log lines, metrics and file
/// names; a client sent "../", newlines and 1 MB. Pipelines of the config file are not held to
/// it (RoadRunner does not restrict them).
[[nodiscard]] sdk::Status check_declared_name(std::string_view name, std::string_view what);

/// Builds pipelines from .rr.yaml (jobs.pipelines.<name>) and from jobs.Declare's flat options,
/// through the DriverCatalog (whose drivers never throw). A destroyed pipeline's driver is kept
/// alive until the registry goes: a job of it may still be running and will settle through it.
/// A pipeline's rule outlives the pipeline for the same reason.
///
/// Loop thread only.
class Pipelines {
 public:
  /// The queue of a pool, nullptr for a pool that is not configured.
  using QueueOf = std::function<sdk::Queue*(std::string_view pool)>;
  /// Called when a rule names a dead_letter that is no pipeline: a host-side store of that name.
  using StoreNamed = std::function<void(const std::string& store)>;

  /// `config` and `drivers` must outlive the registry; `pools` names the configured pools, for
  /// error messages.
  Pipelines(const sdk::Config& config, plugin::DriverCatalog& drivers, QueueOf queue_of,
            std::vector<std::string> pools, StoreNamed store_named);
  ~Pipelines();
  Pipelines(const Pipelines&) = delete;
  Pipelines& operator=(const Pipelines&) = delete;
  Pipelines(Pipelines&&) = delete;
  Pipelines& operator=(Pipelines&&) = delete;

  /// Builds every jobs.pipelines.<name>. Throws sdk::ConfigError (no or unknown driver, unknown
  /// pool, a pipeline that is its own dead_letter, bad retry values, the driver's own
  /// ConfigError) or plugin::PluginError.
  void build_from_config();

  /// A pipeline declared at runtime (spec 5.5): driver, name (or queue), priority, pool,
  /// dead_letter, retry.*, and the driver's own options. Error texts follow RoadRunner's.
  sdk::Result<PipelineEntry*> declare(const std::map<std::string, std::string>& options);

  /// Removes a pipeline (its driver stays alive, retired); false when there is none.
  bool retire(std::string_view name);

  [[nodiscard]] PipelineEntry* find(std::string_view name);
  [[nodiscard]] const PipelineEntry* find(std::string_view name) const;
  [[nodiscard]] std::vector<std::string> names() const;
  /// Every pipeline, in name order. `op` must not add or remove pipelines.
  void for_each(const std::function<void(const std::string& name, PipelineEntry&)>& op);

  /// The pipeline's rule, or the defaults (no dead_letter) for a name it never had.
  [[nodiscard]] const DeliveryRule& rule(std::string_view pipeline) const;

 private:
  void build(const std::string& name);
  void set_rule(const std::string& pipeline, RetryPolicy policy, std::string dead_letter);
  [[nodiscard]] std::string unknown_driver_text(std::string_view driver,
                                                std::string_view pipeline) const;
  [[nodiscard]] std::string unknown_pool_text(std::string_view pool,
                                              std::string_view pipeline) const;

  const sdk::Config& config_;
  plugin::DriverCatalog& drivers_;
  QueueOf queue_of_;
  std::vector<std::string> pools_;
  StoreNamed store_named_;
  std::map<std::string, PipelineEntry, std::less<>> pipelines_;
  std::map<std::string, DeliveryRule, std::less<>> rules_;
  DeliveryRule default_rule_;
  std::vector<std::unique_ptr<sdk::Driver>> retired_;
};

/// The keys of one jobs.pipelines.<name> that Pipelines reads (the driver owns `config`).
[[nodiscard]] const config::Spec& pipeline_keys();

/// A pipeline's pool must be one of jobs.pools when that is set (with a did-you-mean). Pipelines
/// looks the pool up again when it builds the pipeline, because it needs its queue and because
/// declared pipelines and unvalidated configs come that way too.
void check_pipeline_pools(const config::ConfigDocument& doc, const config::ValidateOptions& options,
                          config::Findings& findings);

/// RoadRunner's error text for an unknown pipeline.
[[nodiscard]] std::string no_such_pipeline(std::string_view name);

/// Names joined by ", " ("" shown as \"\"), for messages that list what exists.
[[nodiscard]] std::string join_names(const std::vector<std::string>& names);

}  // namespace coyote::host::jobs
