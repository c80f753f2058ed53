// Observability: what `coyote serve` runs for the metrics and status sections — the registry,
// the scrape endpoint, the application metrics service, the status endpoints and their RPC twins.
#pragma once

#include "config/config_document.hpp"
#include "http/http_server.hpp"
#include "jobs/engine.hpp"
#include "metrics/app_metrics.hpp"
#include "metrics/metrics_endpoint.hpp"
#include "metrics/process_metrics.hpp"
#include "metrics/registry.hpp"
#include "observe/jobs_metrics.hpp"
#include "observe/observe_settings.hpp"
#include "observe/status_service.hpp"
#include "rpc/rpc_server.hpp"
#include "worker/pool_set.hpp"

#include <boost/asio/io_context.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace coyote::host::observe {

/// Each part exists only when its section does (as RoadRunner's plugins). A problem with either
/// endpoint — a malformed setting or metrics.collect, a port in use, a remote address without
/// allow_remote — is logged with what to fix and leaves that part off; the host keeps running
/// jobs (metrics are not worth an outage). Loop-confined; the references must outlive it.
class Observability {
 public:
  Observability(boost::asio::io_context& io, const config::ConfigDocument& cfg,
                jobs::Engine& engine, worker::PoolSet& pools, rpc::RpcServer& rpc);
  ~Observability();
  Observability(const Observability&) = delete;
  Observability& operator=(const Observability&) = delete;
  Observability(Observability&&) = delete;
  Observability& operator=(Observability&&) = delete;

  /// Binds the endpoints (never throws; failures are logged).
  void start();
  /// The host is stopping: status answers as RoadRunner's do meanwhile; the servers stay up
  /// until stop().
  void shutting_down();
  void stop();

  /// Bound addresses ("" when that endpoint is off), e.g. for the startup log line.
  [[nodiscard]] std::string metrics_address() const;
  [[nodiscard]] std::string status_address() const;
  /// The metrics registry, nullptr without a metrics section (other areas add their families).
  [[nodiscard]] metrics::Registry* registry() noexcept { return registry_.get(); }

 private:
  void count_rpc(std::string_view method, bool ok);

  boost::asio::io_context& io_;
  rpc::RpcServer& rpc_;
  std::optional<MetricsSettings> metrics_settings_;
  std::optional<StatusSettings> status_settings_;
  std::unique_ptr<metrics::Registry> registry_;
  std::unique_ptr<metrics::AppMetrics> app_;
  std::unique_ptr<metrics::MetricsEndpoint> endpoint_;
  std::unique_ptr<JobsMetrics> jobs_metrics_;
  std::unique_ptr<http::HttpServer> metrics_server_;
  std::unique_ptr<StatusService> status_;
  std::unique_ptr<http::HttpServer> status_server_;
  metrics::Family* rpc_requests_ = nullptr;
  metrics::Family* rpc_errors_ = nullptr;
  struct RpcSeries {
    metrics::Series* requests;
    metrics::Series* errors;
  };
  std::map<std::string, RpcSeries, std::less<>> rpc_series_;
};

}  // namespace coyote::host::observe
