#include "cli/rr_schema.hpp"

#include "cli/options.hpp"
#include "dashboard/dashboard_settings.hpp"
#include "jobs/dead_letter_settings.hpp"
#include "jobs/engine.hpp"
#include "jobs/pipelines.hpp"
#include "log/log.hpp"
#include "observe/observe_settings.hpp"
#include "plugin/plugin_discovery.hpp"
#include "schedule/schedule_definition.hpp"
#include "worker/pool_config.hpp"

#include <array>

namespace coyote::host::cli {
namespace {

using config::Field;
using config::Kind;
using config::Spec;

// RoadRunner sections that are not ours but are close enough to ours to look like typos.
constexpr std::string_view kForeignSections[] = {
    "grpc",      "lock",       "kv",       "http",       "otel",       "status",         "reload",
    "metrics",   "temporal",   "tcp",      "centrifuge", "service",    "fileserver",     "amqp",
    "beanstalk", "sqs",        "nats",     "kafka",      "boltdb",     "google_pub_sub", "redis",
    "memcached", "endure",     "informer", "resetter",   "app_logger", "headers",        "gzip",
    "static",    "prometheus", "api",      "websockets", "broadcast",
};

constexpr std::array<config::CrossRule, 2> kCrossRules = {&worker::check_pool_rules,
                                                          &jobs::check_pipeline_pools};

struct Composed {
  Spec pools{Kind::kNamed, {}, &worker::pool_keys()};
  Spec pipelines{Kind::kNamed, {}, &jobs::pipeline_keys()};
  Spec schedules{Kind::kNamed, {}, &schedule::schedules_keys()};
  std::vector<Field> jobs_fields;
  Spec jobs{Kind::kSection};
  std::vector<Field> top_fields;
  Spec top{Kind::kSection};
  config::Schema schema;

  Composed() {
    const auto engine = jobs::engine_keys();
    jobs_fields.assign(engine.begin(), engine.end());
    jobs_fields.push_back({"pool", &worker::pool_keys(), "see *pool*", "the single worker pool"});
    jobs_fields.push_back({"pools", &pools, "—",
                           "named pools; **cannot be combined with `jobs.pool`** (\"both pool "
                           "and pools options cannot be set at the same time\")"});
    jobs_fields.push_back({"pipelines", &pipelines});
    jobs_fields.push_back({"dead_letter", &jobs::dead_letter_keys()});
    // Documented by its entries' rows (docs/scheduling.md explains them).
    jobs_fields.push_back({"schedules", &schedules});
    jobs.fields = jobs_fields;

    top_fields = {
        {"version", &config::spec::kString, "— (required)",
         "the configuration format, `\"3\"` (a string)", true},
        {"rpc", &rpc_keys()},
        {"server", &worker::server_keys()},
        {"logs", &log::logs_keys()},
        {"jobs", &jobs},
        {"coyote", &plugin::coyote_keys()},
        {"metrics", &observe::metrics_keys()},
        {"status", &observe::status_keys()},
        {"dashboard", &dashboard::dashboard_keys()},
    };
    top.fields = top_fields;
    top.unknown = config::Unknown::kIgnoreUnlessTypo;

    schema.root = &top;
    schema.cross_rules = kCrossRules;
    schema.foreign_sections = kForeignSections;
  }
};

const Composed& composed() {
  static const Composed instance;
  return instance;
}

}  // namespace

const config::Schema& rr_schema() { return composed().schema; }

std::vector<config::Diagnostic> validate(const config::ConfigDocument& doc,
                                         const config::ValidateOptions& options) {
  return config::validate(doc, rr_schema(), options);
}

std::vector<config::Diagnostic> validate_or_throw(const config::ConfigDocument& doc,
                                                  const config::ValidateOptions& options) {
  return config::validate_or_throw(doc, rr_schema(), options);
}

std::vector<ReferenceTable> reference_tables() {
  const Composed& c = composed();
  return {
      {"rpc", &rpc_keys(), "rpc"},
      {"server", &worker::server_keys(), "server"},
      {"logs", &log::logs_keys(), "logs"},
      {"jobs", &c.jobs, "jobs"},
      {"pool", &worker::pool_keys(), ""},
      {"coyote", &plugin::coyote_keys(), "coyote"},
      {"metrics", &observe::metrics_keys(), "metrics"},
      {"status", &observe::status_keys(), "status"},
      {"dashboard", &dashboard::dashboard_keys(), "dashboard"},
  };
}

}  // namespace coyote::host::cli
