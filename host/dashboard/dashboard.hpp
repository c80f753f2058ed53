// Dashboard: what `coyote serve` runs for the `dashboard` section — the HTTP server, the
// embedded page, the JSON API, the live overview stream (Server-Sent Events) and the rate
// history it is drawn from.
#pragma once

#include "dashboard/dashboard_api.hpp"
#include "dashboard/dashboard_settings.hpp"
#include "dashboard/rate_history.hpp"
#include "dashboard/request_guard.hpp"
#include "http/http_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace coyote::host::dashboard {

/// Loop-confined; the references must outlive it.
class Dashboard {
 public:
  /// How often the rate history is sampled and the overview streamed.
  static constexpr std::chrono::milliseconds kTick{1000};

  Dashboard(boost::asio::io_context& io, DashboardSettings settings, jobs::Engine& engine,
            worker::PoolSet* pools, const rpc::MethodTable& rpc, std::string version);
  ~Dashboard();
  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;
  Dashboard(Dashboard&&) = delete;
  Dashboard& operator=(Dashboard&&) = delete;

  /// Binds (throws std::runtime_error naming dashboard.address and what to fix).
  void start();
  /// Ends the event streams and closes the server. Idempotent.
  void stop();

  [[nodiscard]] std::string local_address() const;

 private:
  void arm();
  void tick();
  void serve_events(const http::Request& request, const http::Responder& out);
  [[nodiscard]] http::Response serve_asset(const http::Request& request) const;

  boost::asio::io_context& io_;
  DashboardSettings settings_;
  RequestGuard guard_;
  RateHistory history_;
  DashboardApi api_;
  boost::asio::steady_timer timer_;
  std::vector<http::ResponseStream> streams_;
  std::unique_ptr<http::HttpServer> server_;
  bool stopped_ = false;
};

/// Header fields every dashboard answer carries: no framing, no sniffing, scripts and styles
/// from this origin only (the page has no inline script), no caching of live data.
void add_security_headers(http::Response& response);

}  // namespace coyote::host::dashboard
