// What coyote.JobResult and coyote.JobProgress accept from a client, and what they refuse.
#include "rpc/result_methods.hpp"

#include <catch2/catch.hpp>

using coyote::host::rpc::kMaxResultWait;
using coyote::host::rpc::parse_job_progress_request;
using coyote::host::rpc::parse_job_result_request;

TEST_CASE("a JobResult request names the job and may wait", "[rpc][results]") {
  auto r = parse_job_result_request(R"({"id":"j1","wait_ms":1500})");
  REQUIRE(r);
  CHECK(r->id == "j1");
  CHECK(r->wait == std::chrono::milliseconds(1500));
  auto plain = parse_job_result_request(R"({"id":"j2"})");
  REQUIRE(plain);
  CHECK(plain->wait.count() == 0);
}

TEST_CASE("a JobResult request without an id, with a bad or too long wait is refused saying why",
          "[rpc][results]") {
  CHECK_THAT(parse_job_result_request("[1]").error(), Catch::Contains("JSON object"));
  CHECK_THAT(parse_job_result_request(R"({"wait_ms":1})").error(), Catch::Contains("set \"id\""));
  CHECK_THAT(parse_job_result_request(R"({"id":"j","wait_ms":"1s"})").error(),
             Catch::Contains("whole number of milliseconds"));
  CHECK_THAT(parse_job_result_request(R"({"id":"j","wait_ms":60000})").error(),
             Catch::Contains(std::to_string(kMaxResultWait.count())));
  // Beyond int64: too long as well, not wrapped into a negative wait.
  CHECK_THAT(parse_job_result_request(R"({"id":"j","wait_ms":18446744073709551615})").error(),
             Catch::Contains("at most"));
}

TEST_CASE("a JobProgress text is kept as sent, any other JSON value as its text",
          "[rpc][results]") {
  auto text = parse_job_progress_request(R"({"id":"j","progress":"3/10"})");
  REQUIRE(text);
  CHECK(text->progress == "3/10");
  auto object = parse_job_progress_request(R"({"id":"j","progress":{"done":3}})");
  REQUIRE(object);
  CHECK(object->progress == R"({"done":3})");
  CHECK_THAT(parse_job_progress_request("not json").error(), Catch::Contains("coyote.JobProgress"));
}
