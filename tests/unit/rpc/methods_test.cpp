// The method table and the built-in methods, driven without sockets.
#include "fake_services.hpp"
#include "rpc/builtin_methods.hpp"
#include "rpc/jobs_codec.hpp"

#include <catch2/catch.hpp>

#include <climits>
#include <optional>

namespace rpc = coyote::host::rpc;
using coyote::test::FakeJobsService;
using coyote::test::FakePoolControl;

namespace {

struct Outcome {
  bool ok = false;
  std::string body;
};

Outcome call(const rpc::MethodTable& table, std::string_view method, rpc::Codec codec,
             std::string_view body) {
  std::optional<Outcome> out;
  table.dispatch(rpc::Call{codec, method, body}, [&](coyote::sdk::Status s, std::string b) {
    REQUIRE_FALSE(out.has_value());
    out = Outcome{s.is_ok(), s ? std::move(b) : s.message()};
  });
  REQUIRE(out.has_value());
  return *out;
}

}  // namespace

TEST_CASE("unknown methods and services get net/rpc error texts", "[rpc]") {
  FakeJobsService jobs;
  const auto table = rpc::default_methods(jobs, nullptr, "1.2.3");
  CHECK(call(table, "jobs.Nope", rpc::Codec::kProto, "").body ==
        "rpc: can't find method jobs.Nope");
  CHECK(call(table, "foo.Bar", rpc::Codec::kProto, "").body == "rpc: can't find service foo.Bar");
  CHECK(call(table, "nodot", rpc::Codec::kProto, "").body ==
        "rpc: service/method request ill-formed: nodot");
}

TEST_CASE("extra methods can be added to a table", "[rpc]") {
  FakeJobsService jobs;
  auto table = rpc::default_methods(jobs, nullptr, "1.2.3");
  table.add("coyote.DeadLetters", [](const rpc::Call&, rpc::Reply reply) { reply({}, "[]"); });
  CHECK(call(table, "coyote.DeadLetters", rpc::Codec::kJson, "").body == "[]");
}

TEST_CASE("a throwing handler is answered with an error", "[rpc]") {
  rpc::MethodTable table;
  table.add("x.Boom", [](const rpc::Call&, rpc::Reply) { throw std::runtime_error("kaput"); });
  const auto out = call(table, "x.Boom", rpc::Codec::kJson, "");
  CHECK_FALSE(out.ok);
  CHECK_THAT(out.body, Catch::Contains("kaput"));
}

TEST_CASE("jobs.Push refuses an empty id and passes service errors through", "[rpc]") {
  FakeJobsService jobs;
  const auto table = rpc::default_methods(jobs, nullptr, "1.2.3");
  coyote::sdk::Message m;
  m.options.pipeline = "test";
  CHECK(
      call(table, "jobs.Push", rpc::Codec::kProto, rpc::encode_push_request(rpc::Codec::kProto, m))
          .body == "empty ID field not allowed");
  m.id = "1";
  m.options.pipeline = "nowhere";
  const auto out =
      call(table, "jobs.Push", rpc::Codec::kJson, rpc::encode_push_request(rpc::Codec::kJson, m));
  CHECK_FALSE(out.ok);
  CHECK(out.body == "no such pipeline, requested: nowhere");
}

TEST_CASE("jobs.Push and PushBatch refuse a delay beyond 100 years before pushing anything",
          "[rpc]") {
  // Issue 12 item 10: delays of 2^62 s, INT64_MAX or 10^10 s overflowed and ran at once.
  const auto codec = GENERATE(rpc::Codec::kProto, rpc::Codec::kJson);
  const std::int64_t delay =
      GENERATE(std::int64_t{1} << 62, std::int64_t{INT64_MAX}, std::int64_t{10'000'000'000});
  FakeJobsService jobs;
  const auto table = rpc::default_methods(jobs, nullptr, "1.2.3");
  coyote::sdk::Message m;
  m.id = "late";
  m.options.pipeline = "test";
  m.options.delay_seconds = delay;
  const auto one = call(table, "jobs.Push", codec, rpc::encode_push_request(codec, m));
  CHECK_FALSE(one.ok);
  CHECK_THAT(one.body,
             Catch::Contains("PushRequest.job.options.delay: a delay of " + std::to_string(delay) +
                             " s is longer than the maximum of 3155760000 s"));
  coyote::sdk::Message fine = m;
  fine.id = "fine";
  fine.options.delay_seconds = 5;
  const auto batch =
      call(table, "jobs.PushBatch", codec, rpc::encode_push_batch_request(codec, {fine, m}));
  CHECK_FALSE(batch.ok);
  CHECK_THAT(batch.body, Catch::Contains("PushBatchRequest.jobs[1].options.delay"));
  CHECK(jobs.pushed.empty());
}

TEST_CASE("informer, resetter and rpc methods answer in JSON", "[rpc]") {
  FakeJobsService jobs;
  FakePoolControl pools;
  const auto table = rpc::default_methods(jobs, &pools, "1.2.3");

  const auto workers = call(table, "informer.Workers", rpc::Codec::kJson, "\"jobs\"");
  REQUIRE(workers.ok);
  CHECK(
      workers.body ==
      R"({"workers":[{"pid":4242,"status":1,"numExecs":7,"created":1700000000000000000,)"
      R"("memoryUsage":1048576,"CPUPercent":0.5,"command":"php worker.php","statusStr":"ready"}]})");
  CHECK(call(table, "informer.Workers", rpc::Codec::kJson, "\"http\"").body ==
        "no such plugin: http");
  CHECK_FALSE(call(table, "informer.Workers", rpc::Codec::kProto, "").ok);

  const auto states = call(table, "informer.Jobs", rpc::Codec::kJson, "\"jobs\"");
  REQUIRE(states.ok);
  CHECK_THAT(states.body, Catch::Contains(R"("Pipeline":"test")") &&
                              Catch::Contains(R"("Ready":false)") &&
                              Catch::Contains(R"("ErrorMessage":"")"));

  CHECK(call(table, "informer.List", rpc::Codec::kJson, "true").body == R"(["jobs"])");
  CHECK(call(table, "informer.AddWorker", rpc::Codec::kJson, "\"jobs\"").body == "true");
  CHECK(pools.list.size() == 2);
  CHECK(call(table, "informer.RemoveWorker", rpc::Codec::kJson, "\"jobs\"").body == "true");
  CHECK(pools.list.size() == 1);

  CHECK(call(table, "resetter.Reset", rpc::Codec::kJson, "\"jobs\"").body == "true");
  CHECK(pools.resets == 1);
  CHECK(call(table, "resetter.Reset", rpc::Codec::kJson, "\"X\"").body == "no such plugin: X");
  CHECK(call(table, "resetter.List", rpc::Codec::kJson, "true").body == R"(["jobs"])");
  CHECK(call(table, "rpc.Version", rpc::Codec::kJson, "true").body == "\"1.2.3\"");
}
