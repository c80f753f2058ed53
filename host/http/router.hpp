// Router: request paths to handlers, by the longest matching prefix.
#pragma once

#include "http/request.hpp"
#include "http/responder.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::http {

/// Called on the loop thread. The handler owns the request and answers through the responder,
/// before returning or later (see Responder). An exception thrown by a handler that has not
/// answered becomes a 500 with the exception's text.
using Handler = std::function<void(Request, Responder)>;

/// A synchronous handler: returns the whole answer.
using SimpleHandler = std::function<Response(const Request&)>;

class Router {
 public:
  /// `prefix` "/" matches every path; "/jobs" matches "/jobs" and "/jobs/..." but not "/jobsx";
  /// "/api/" matches paths below "/api/". The longest matching prefix wins; adding a prefix
  /// again replaces its handler.
  void add(std::string prefix, Handler handler);
  void add(std::string prefix, SimpleHandler handler);

  /// The handler for `path` (see Request::path), or nullptr (the server answers 404).
  [[nodiscard]] const Handler* match(std::string_view path) const noexcept;

  /// Calls the matching handler, or answers 404; turns a handler's exception into a 500.
  void dispatch(Request request, const Responder& responder) const;

 private:
  struct Route {
    std::string prefix;
    Handler handler;
  };
  std::vector<Route> routes_;  // longest prefix first
};

}  // namespace coyote::host::http
