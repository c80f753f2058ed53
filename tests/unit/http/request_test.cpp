// Request path/query helpers.
#include "http/request.hpp"

#include <catch2/catch.hpp>

namespace http = coyote::host::http;

TEST_CASE("query values are percent-decoded and a repeated key keeps every value", "[http]") {
  CHECK(http::query_values("plugin=jobs&plugin=http&x=1", "plugin") ==
        std::vector<std::string>{"jobs", "http"});
  CHECK(http::query_values("a%20b=c%2Bd+e", "a b") == std::vector<std::string>{"c+d e"});
  CHECK(http::query_values("flag&flag=", "flag") == std::vector<std::string>{"", ""});
  CHECK(http::query_values("", "x").empty());
  CHECK(http::query_values("&&x=1&&", "x") == std::vector<std::string>{"1"});
}

TEST_CASE("a malformed percent escape is kept as written", "[http]") {
  CHECK(http::percent_decode("100%") == "100%");
  CHECK(http::percent_decode("%zz%4") == "%zz%4");
  CHECK(http::percent_decode("%41%4a") == "AJ");
}

TEST_CASE("request path and query split at '?' and drop a fragment", "[http]") {
  http::Request r;
  r.message.target("/jobs?plugin=jobs#top");
  CHECK(r.path() == "/jobs");
  CHECK(r.query() == "plugin=jobs");
  CHECK(r.query_values("plugin") == std::vector<std::string>{"jobs"});
  r.message.target("/metrics");
  CHECK(r.path() == "/metrics");
  CHECK(r.query().empty());
}
