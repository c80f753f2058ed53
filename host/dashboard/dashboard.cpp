#include "dashboard/dashboard.hpp"

#include "dashboard/embedded_assets.hpp"
#include "log/log.hpp"

#include <utility>

namespace coyote::host::dashboard {

void add_security_headers(http::Response& response) {
  response.headers.emplace_back(
      "Content-Security-Policy",
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
}

Dashboard::Dashboard(boost::asio::io_context& io, DashboardSettings settings, jobs::Engine& engine,
                     worker::PoolSet* pools, const rpc::MethodTable& rpc, std::string version)
    : io_(io),
      settings_(std::move(settings)),
      guard_(settings_.token, RequestGuard::random_token()),
      api_(engine, pools, rpc, history_, guard_,
           ApiOptions{.version = std::move(version),
                      .payload_preview = settings_.payload_preview,
                      .started = std::chrono::system_clock::now()}),
      timer_(io) {}

Dashboard::~Dashboard() {
  try {
    stop();
  } catch (...) {  // NOLINT(bugprone-empty-catch): closing sockets at exit; nothing is left to tell
  }
}

void Dashboard::start() {
  http::HttpServerOptions options;
  options.address = settings_.address;
  options.setting = "dashboard.address";
  options.name = "dashboard";
  // dashboard_settings() refuses a remote address without a token; a name that resolves to a
  // remote address is caught here by the same rule.
  options.allow_non_loopback = !settings_.token.empty();
  options.non_loopback_hint = "set dashboard.token (or COYOTE_DASHBOARD_TOKEN)";
  http::Router router;
  router.add("/api/", [this](const http::Request& request, const http::Responder& out) {
    api_.handle(request, [out](http::Response r) {
      add_security_headers(r);
      r.headers.emplace_back("Cache-Control", "no-store");
      out.respond(std::move(r));
    });
  });
  router.add("/api/events", [this](const http::Request& request, const http::Responder& out) {
    serve_events(request, out);
  });
  router.add("/", [this](const http::Request& request) { return serve_asset(request); });
  server_ = std::make_unique<http::HttpServer>(io_, options, std::move(router));
  server_->start();
  history_.record(api_.sample());
  arm();
  if (guard_.authenticates()) log::get("dashboard")->info("dashboard requires its token");
}

void Dashboard::stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  for (const auto& s : streams_) s.end();
  streams_.clear();
  if (server_) server_->stop();
}

std::string Dashboard::local_address() const {
  return server_ ? server_->local_address() : std::string();
}

void Dashboard::arm() {
  timer_.expires_after(kTick);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    tick();
    arm();
  });
}

void Dashboard::tick() {
  history_.record(api_.sample());
  std::erase_if(streams_, [](const http::ResponseStream& s) { return !s.open(); });
  if (streams_.empty()) return;
  const std::string event = "event: overview\ndata: " + api_.overview_json(false) + "\n\n";
  for (const auto& s : streams_) s.write(event);
}

void Dashboard::serve_events(const http::Request& request, const http::Responder& out) {
  if (auto refused = guard_.check(request, false)) {
    add_security_headers(*refused);
    out.respond(std::move(*refused));
    return;
  }
  http::Response head;
  head.content_type = "text/event-stream";
  head.headers.emplace_back("Cache-Control", "no-store");
  add_security_headers(head);
  // The first event at once, so a page shows numbers without waiting a tick; `retry` is how
  // soon the browser reconnects after the host comes back.
  head.body = "retry: 2000\n\nevent: overview\ndata: " + api_.overview_json(false) + "\n\n";
  auto stream = out.stream(std::move(head));
  if (stream.open()) streams_.push_back(std::move(stream));
}

http::Response Dashboard::serve_asset(const http::Request& request) const {
  if (auto refused = guard_.check(request, false)) {
    add_security_headers(*refused);
    return std::move(*refused);
  }
  const Asset* asset = find_asset(request.path());
  http::Response r;
  if (asset == nullptr) {
    r = json_error(404, "no such page: " + std::string(request.path()));
  } else {
    r.content_type = std::string(asset->content_type);
    r.body = std::string(asset->body);
    // Hashed file names under /assets/ never change content; the page itself must revalidate.
    r.headers.emplace_back("Cache-Control", request.path().starts_with("/assets/")
                                                ? "public, max-age=31536000, immutable"
                                                : "no-cache");
  }
  add_security_headers(r);
  return r;
}

}  // namespace coyote::host::dashboard
