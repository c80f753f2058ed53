// Router prefix matching (dispatch over real sockets is in http_server_test.cpp).
#include "http/router.hpp"

#include <catch2/catch.hpp>

namespace http = coyote::host::http;

namespace {

http::SimpleHandler answer(std::string body) {
  return [body](const http::Request&) { return http::Response::text(200, body); };
}

// Which handler matched, by calling it with a capturing responder is heavier than needed:
// compare the handler addresses instead.
const void* target_of(const http::Router& r, std::string_view path) { return r.match(path); }

}  // namespace

TEST_CASE("router picks the longest prefix on a path-segment boundary", "[http]") {
  http::Router router;
  router.add("/", answer("root"));
  router.add("/jobs", answer("jobs"));
  router.add("/api/", answer("api"));
  const void* root = target_of(router, "/");
  const void* jobs = target_of(router, "/jobs");
  const void* api = target_of(router, "/api/x");
  REQUIRE(root != nullptr);
  REQUIRE(jobs != nullptr);
  REQUIRE(api != nullptr);
  CHECK(jobs != root);
  CHECK(target_of(router, "/jobs/x") == jobs);
  CHECK(target_of(router, "/jobsx") == root);
  CHECK(target_of(router, "/metrics") == root);
  CHECK(target_of(router, "/api") == root);
  CHECK(target_of(router, "/api/") == api);
}

TEST_CASE("router without a root route matches nothing else", "[http]") {
  http::Router router;
  router.add("health", answer("h"));  // a missing leading slash is added
  CHECK(router.match("/health") != nullptr);
  CHECK(router.match("/ready") == nullptr);
}
