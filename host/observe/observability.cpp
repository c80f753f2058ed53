#include "observe/observability.hpp"

#include "log/log.hpp"
#include "observe/metrics_methods.hpp"
#include "support/loop_thread.hpp"
#include "support/version.hpp"

#include <exception>

namespace coyote::host::observe {
namespace {

std::unique_ptr<http::HttpServer> start_server(boost::asio::io_context& io,
                                               http::HttpServerOptions options,
                                               http::Router router) {
  auto log = log::get(options.name);
  auto server = std::make_unique<http::HttpServer>(io, std::move(options), std::move(router));
  server->start();
  return server;
}

}  // namespace

Observability::Observability(boost::asio::io_context& io, const config::ConfigDocument& cfg,
                             jobs::Engine& engine, worker::PoolSet& pools, rpc::RpcServer& rpc)
    : io_(io), rpc_(rpc) {
  auto log = log::get("coyote");
  try {
    metrics_settings_ = metrics_settings(cfg);
  } catch (const std::exception& e) {
    log->error("metrics endpoint off: {}", e.what());
  }
  try {
    status_settings_ = status_settings(cfg);
  } catch (const std::exception& e) {
    log->error("status endpoint off: {}", e.what());
  }

  if (metrics_settings_) {
    registry_ = std::make_unique<metrics::Registry>();
    app_ = std::make_unique<metrics::AppMetrics>(
        *registry_, metrics::AppMetricsOptions{.max_series = metrics_settings_->max_series});
    if (!metrics_settings_->collect_error.empty()) {
      log->error("metrics.collect ignored: {}", metrics_settings_->collect_error);
    } else if (auto s = app_->declare_config(metrics_settings_->collect); !s) {
      log->error("metrics.collect ignored: {}", s.message());
    }
    add_metrics_methods(rpc_.methods(), *app_);

    auto& build = registry_->define({.name = "coyote_build_info",
                                     .help = "Always 1; the version of the running coyote",
                                     .type = metrics::MetricType::kGauge,
                                     .labels = {"version"}});
    build.at({support::kVersion}).set(1);
    rpc_requests_ = &registry_->define({.name = "coyote_rpc_requests_total",
                                        .help = "RPC calls answered, by method (\"unknown\" for "
                                                "names no service has)",
                                        .type = metrics::MetricType::kCounter,
                                        .labels = {"method"}});
    rpc_errors_ = &registry_->define({.name = "coyote_rpc_errors_total",
                                      .help = "RPC calls answered with an error, by method",
                                      .type = metrics::MetricType::kCounter,
                                      .labels = {"method"}});
    rpc_.set_call_observer([this](std::string_view method, bool ok) { count_rpc(method, ok); });

    endpoint_ = std::make_unique<metrics::MetricsEndpoint>(*registry_);
    jobs_metrics_ = std::make_unique<JobsMetrics>(*registry_, engine, pools);
    endpoint_->add_source(jobs_metrics_->memory_source());
    endpoint_->add_source(
        [process = std::make_shared<metrics::ProcessMetrics>()] { return process->collect(); });
  }
  if (status_settings_) {
    status_ = std::make_unique<StatusService>(engine, pools, *status_settings_);
    status_->add_methods(rpc_.methods());
  }
}

Observability::~Observability() {
  rpc_.set_call_observer({});
  stop();
}

void Observability::count_rpc(std::string_view method, bool ok) {
  auto it = rpc_series_.find(method);
  if (it == rpc_series_.end()) {
    // Only names the table serves get their own series: a client looping over made-up names
    // must not grow the registry.
    const std::string label =
        rpc_.methods().find(method) != nullptr ? std::string(method) : std::string("unknown");
    it = rpc_series_.find(label);
    if (it == rpc_series_.end()) {
      it = rpc_series_
               .emplace(label, RpcSeries{&rpc_requests_->at({label}), &rpc_errors_->at({label})})
               .first;
    }
  }
  it->second.requests->add(1);
  if (!ok) it->second.errors->add(1);
}

void Observability::start() {
  COYOTE_ASSERT_LOOP_THREAD();
  auto log = log::get("coyote");
  if (metrics_settings_ && endpoint_) {
    http::HttpServerOptions o;
    o.address = metrics_settings_->address;
    o.setting = "metrics.address";
    o.allow_non_loopback = metrics_settings_->allow_remote;
    o.non_loopback_hint =
        "set metrics.allow_remote: true to serve it there (put a firewall or "
        "an authenticating proxy in front)";
    o.name = "metrics";
    http::Router router;
    router.add("/", endpoint_->handler());
    try {
      metrics_server_ = start_server(io_, std::move(o), std::move(router));
      log->info("metrics: Prometheus endpoint on http://{}/metrics",
                metrics_server_->local_address());
    } catch (const std::exception& e) {
      log->error("metrics endpoint off: {}", e.what());
    }
  }
  if (status_settings_ && status_) {
    http::HttpServerOptions o;
    o.address = status_settings_->address;
    o.setting = "status.address";
    o.allow_non_loopback = status_settings_->allow_remote;
    o.non_loopback_hint = "set status.allow_remote: true to serve it there";
    o.name = "status";
    o.read_timeout = status_settings_->check_timeout;
    http::Router router;
    status_->add_routes(router);
    try {
      status_server_ = start_server(io_, std::move(o), std::move(router));
      log->info("status: /health, /ready, /jobs on http://{}", status_server_->local_address());
    } catch (const std::exception& e) {
      log->error("status endpoint off: {}", e.what());
    }
  }
}

void Observability::shutting_down() {
  if (status_) status_->set_shutting_down();
}

void Observability::stop() {
  if (metrics_server_) metrics_server_->stop();
  if (status_server_) status_server_->stop();
}

std::string Observability::metrics_address() const {
  return metrics_server_ ? metrics_server_->local_address() : std::string();
}

std::string Observability::status_address() const {
  return status_server_ ? status_server_->local_address() : std::string();
}

}  // namespace coyote::host::observe
