// The sqlite driver's option parsing and its stored-headers codec.
#include "sqlite/driver_options.hpp"
#include "sqlite/headers_codec.hpp"

#include <catch2/catch.hpp>

using coyote::drivers::sqlite::decode_headers;
using coyote::drivers::sqlite::encode_headers;
using coyote::drivers::sqlite::parse_permissions;

TEST_CASE("permissions are read as RoadRunner users and PHP write them", "[sqlite][config]") {
  bool ambiguous = true;
  CHECK(parse_permissions("0755", &ambiguous) == 0755u);
  CHECK_FALSE(ambiguous);
  CHECK(parse_permissions("0o640") == 0640u);
  CHECK(parse_permissions("493", &ambiguous) == 0755u);  // PHP's decimal 0755
  CHECK_FALSE(ambiguous);
  CHECK(parse_permissions("755") == 0755u);  // too large for a decimal mode: octal digits
  CHECK(parse_permissions("644") == 0644u);
  CHECK(parse_permissions("420", &ambiguous) == 0644u);  // PHP's 0644, but could mean 0420
  CHECK(ambiguous);
  CHECK_FALSE(parse_permissions("rw-r--r--"));
  CHECK_FALSE(parse_permissions("0999"));
  CHECK_FALSE(parse_permissions("99999"));
  CHECK_FALSE(parse_permissions(""));
}

TEST_CASE("stored headers round-trip and damaged blobs are refused", "[sqlite]") {
  const coyote::sdk::Headers headers{{"a", {"1", "2"}}, {"empty", {}}, {"b", {""}}};
  const auto blob = encode_headers(headers);
  coyote::sdk::Headers back;
  REQUIRE(decode_headers(blob, back));
  CHECK(back == headers);
  CHECK(encode_headers({}).empty());
  coyote::sdk::Headers none;
  CHECK(decode_headers("", none));
  CHECK(none.empty());
  for (std::size_t cut = 1; cut < blob.size(); ++cut) {
    coyote::sdk::Headers partial;
    CHECK_FALSE(decode_headers(blob.substr(0, cut), partial));
  }
  coyote::sdk::Headers huge;
  CHECK_FALSE(decode_headers(std::string("\xff\xff\xff\xff\x0f", 5), huge));
}
