#include "unit/dashboard/api_rig.hpp"

#include "rpc/base64.hpp"

#include <catch2/catch.hpp>

using boost::beast::http::verb;
using coyote::test::ApiRig;

TEST_CASE("with a token, requests without it get 401 and a basic-auth challenge",
          "[dashboard][auth]") {
  ApiRig t("s3cret");
  const auto r = t.get("/api/overview");
  CHECK(r.status == 401);
  bool challenge = false;
  for (const auto& [k, v] : r.headers) challenge = challenge || k == "WWW-Authenticate";
  CHECK(challenge);

  auto wrong = ApiRig::request(verb::get, "/api/overview");
  wrong.message.set(boost::beast::http::field::authorization, "Bearer s3cre");
  CHECK(t.send(wrong).status == 401);

  auto bearer = ApiRig::request(verb::get, "/api/overview");
  bearer.message.set(boost::beast::http::field::authorization, "Bearer s3cret");
  CHECK(t.send(bearer).status == 200);

  auto basic = ApiRig::request(verb::get, "/api/session");
  basic.message.set(boost::beast::http::field::authorization,
                    "Basic " + coyote::host::rpc::base64_encode("admin:s3cret"));
  const auto session = t.send(basic);
  CHECK(session.status == 200);
  CHECK(ApiRig::json(session).at("auth").as_bool());
}

TEST_CASE("the session endpoint hands out the CSRF token POSTs need", "[dashboard][csrf]") {
  ApiRig t;
  const auto s = ApiRig::json(t.get("/api/session"));
  CHECK(s.at("csrf").as_string() == coyote::test::kCsrf);
  CHECK_FALSE(s.at("auth").as_bool());
}

TEST_CASE("random tokens are 64 hex digits and differ", "[dashboard][csrf]") {
  using coyote::host::dashboard::RequestGuard;
  const auto a = RequestGuard::random_token();
  const auto b = RequestGuard::random_token();
  CHECK(a.size() == 64);
  CHECK(a != b);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
}

TEST_CASE("constant-time comparison agrees with equality", "[dashboard][auth]") {
  using coyote::host::dashboard::constant_time_equal;
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "ab"));
  CHECK(constant_time_equal("", ""));
}
