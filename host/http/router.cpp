#include "http/router.hpp"

#include "log/log.hpp"

#include <algorithm>
#include <exception>

namespace coyote::host::http {

namespace {

bool matches(std::string_view prefix, std::string_view path) noexcept {
  if (prefix == "/") return true;
  if (!path.starts_with(prefix)) return false;
  if (path.size() == prefix.size() || prefix.back() == '/') return true;
  return path[prefix.size()] == '/';
}

}  // namespace

void Router::add(std::string prefix, Handler handler) {
  if (prefix.empty() || prefix.front() != '/') prefix.insert(prefix.begin(), '/');
  for (auto& r : routes_) {
    if (r.prefix == prefix) {
      r.handler = std::move(handler);
      return;
    }
  }
  routes_.push_back({std::move(prefix), std::move(handler)});
  std::stable_sort(routes_.begin(), routes_.end(), [](const Route& a, const Route& b) {
    return a.prefix.size() > b.prefix.size();
  });
}

void Router::add(std::string prefix, SimpleHandler handler) {
  add(std::move(prefix),
      Handler([h = std::move(handler)](const Request& request, const Responder& responder) {
        responder.respond(h(request));
      }));
}

const Handler* Router::match(std::string_view path) const noexcept {
  for (const auto& r : routes_) {
    if (matches(r.prefix, path)) return &r.handler;
  }
  return nullptr;
}

void Router::dispatch(Request request, const Responder& responder) const {
  const Handler* handler = match(request.path());
  if (handler == nullptr) {
    responder.respond(Response::text(404, "no such page: " + std::string(request.path()) + "\n"));
    return;
  }
  try {
    (*handler)(std::move(request), responder);
  } catch (const std::exception& e) {
    if (responder.respond(Response::text(500, std::string("internal error: ") + e.what() + "\n"))) {
      log::get("http")->error("http handler failed: {}", e.what());
    }
  } catch (...) {
    responder.respond(Response::text(500, "internal error\n"));
  }
}

}  // namespace coyote::host::http
