#include "config/suggest.hpp"

#include <catch2/catch.hpp>

using coyote::host::config::closest_match;
using coyote::host::config::edit_distance;

TEST_CASE("edit distance counts a swap of neighbours as one edit", "[config]") {
  CHECK(edit_distance("jobs", "jobs") == 0);
  CHECK(edit_distance("jbos", "jobs") == 1);
  CHECK(edit_distance("pipline_size", "pipeline_size") == 1);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("closest match suggests only plausible typos", "[config]") {
  const std::vector<std::string_view> keys{"pipeline_size", "pipelines", "pool", "pools",
                                           "timeout"};
  CHECK(closest_match("pipline_size", keys) == "pipeline_size");
  CHECK(closest_match("timout", keys) == "timeout");
  CHECK(closest_match("pol", keys) == "pool");
  CHECK_FALSE(closest_match("something_else", keys).has_value());
}
