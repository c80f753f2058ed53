#include "jobs/response_handler.hpp"
#include "log/log.hpp"
#include "support/fake_job.hpp"

#include <catch2/catch.hpp>

using coyote::host::jobs::Counters;
using coyote::host::jobs::Failure;
using coyote::host::jobs::ResponseHandler;
using coyote::host::worker::ExecOutcome;
using coyote::test::FakeJob;
using coyote::test::lend;

namespace {

struct Harness {
  Counters counters;
  ResponseHandler handler{counters, coyote::host::log::get("jobs")};
  FakeJob job{"job-1", 10};

  const coyote::test::Ack& reply(const std::string& body) {
    ExecOutcome o;
    o.body = body;
    handler.handle(lend(job), o);
    REQUIRE(job.received);
    return *job.received;
  }
  const coyote::test::Ack& outcome(ExecOutcome::Kind kind) {
    ExecOutcome o;
    o.kind = kind;
    o.message = "boom";
    handler.handle(lend(job), o);
    REQUIRE(job.received);
    return *job.received;
  }
};

}  // namespace

TEST_CASE("ack and legacy complete replies ack the job and count ok", "[response]") {
  Harness h;
  const char* body = GENERATE(R"({"type":2,"data":[]})", R"({"type":0,"data":[]})", R"({"type":2})",
                              R"({"type":0,"data":"ignored"})");
  CHECK(h.reply(body).call == "ack");
  CHECK(h.counters.jobs_ok == 1);
  CHECK(h.counters.jobs_err == 0);
}

TEST_CASE("legacy error reply requeues when asked, otherwise acks as failed", "[response]") {
  Harness h;
  SECTION("requeue true: headers and delay are passed on") {
    const auto& a = h.reply(
        R"({"type":1,"data":{"message":"m","requeue":true,"delay_seconds":3,"headers":{"attempt":["2"]}}})");
    CHECK(a.call == "requeue");
    CHECK(a.delay == std::chrono::seconds{3});
    CHECK(a.headers.at("attempt") == std::vector<std::string>{"2"});
    CHECK(h.counters.jobs_requeue == 1);
  }
  SECTION("requeue false: acked, counted as failed") {
    CHECK(h.reply(R"({"type":1,"data":{"message":"m","requeue":false,"delay_seconds":0}})").call ==
          "ack");
    CHECK(h.counters.jobs_err == 1);
    CHECK(h.counters.jobs_ok == 0);
  }
}

TEST_CASE("nack reply passes its requeue flag and delay to the driver", "[response]") {
  Harness h;
  SECTION("no redelivery counts an error") {
    const auto& a =
        h.reply(R"({"type":3,"data":{"message":"m","requeue":false,"delay_seconds":0}})");
    CHECK(a.call == "nack_with_options");
    CHECK_FALSE(a.requeue);
    CHECK(h.counters.jobs_err == 1);
  }
  SECTION("redelivery with delay counts a requeue; headers are ignored") {
    const auto& a = h.reply(
        R"({"type":3,"data":{"message":"m","requeue":true,"delay_seconds":7,"headers":{"k":["v"]}}})");
    CHECK(a.call == "nack_with_options");
    CHECK(a.requeue);
    CHECK(a.delay == std::chrono::seconds{7});
    CHECK(a.headers.empty());
    CHECK(h.counters.jobs_requeue == 1);
  }
}

TEST_CASE("requeue reply passes headers and delay whatever its requeue flag", "[response]") {
  Harness h;
  const auto& a = h.reply(
      R"({"type":4,"data":{"message":"x","requeue":false,"delay_seconds":2,"headers":{"attempt":["1"],"b":[]}}})");
  CHECK(a.call == "requeue");
  CHECK(a.delay == std::chrono::seconds{2});
  CHECK(a.headers.at("attempt") == std::vector<std::string>{"1"});
  CHECK(a.headers.at("b").empty());
  CHECK(h.counters.jobs_requeue == 1);
}

TEST_CASE("unknown reply type is acknowledged as ok", "[response]") {
  Harness h;
  CHECK(h.reply(R"({"type":99})").call == "ack");
  CHECK(h.counters.jobs_ok == 1);
}

TEST_CASE("malformed reply is redelivered with the next attempt number", "[response]") {
  Harness h;
  const char* body = GENERATE(
      "not json", "", "[1,2]", R"({"data":[]})", R"({"type":-1})", R"({"type":"2"})",
      R"({"type":4,"data":[]})", R"({"type":4,"data":{"headers":[{"a":"b"}]}})",
      R"({"type":3,"data":{"requeue":"yes"}})", R"({"type":1,"data":{"delay_seconds":"5"}})");
  const auto& a = h.reply(body);
  CHECK(a.call == "requeue");
  CHECK(a.headers.at("X-Coyote-Attempt") == std::vector<std::string>{"2"});
  CHECK(h.counters.jobs_err == 1);
  CHECK(h.counters.jobs_retried == 1);
  CHECK(h.counters.jobs_ok == 0);
}

TEST_CASE("soft error, streamed reply and lost worker are retried under the default policy",
          "[response]") {
  Harness h;
  auto kind = GENERATE(ExecOutcome::Kind::kSoftError, ExecOutcome::Kind::kStreamed,
                       ExecOutcome::Kind::kWorkerLost);
  const auto& a = h.outcome(kind);
  CHECK(a.call == "requeue");
  CHECK(a.headers.at("X-Coyote-Attempt") == std::vector<std::string>{"2"});
  // Default: exponential from 1 s with 10 % jitter, rounded up to whole seconds for the driver.
  CHECK(a.delay >= std::chrono::seconds{1});
  CHECK(a.delay <= std::chrono::seconds{2});
  CHECK(h.counters.jobs_err == 1);
}

namespace {

/// DeliveryRules with a fixed policy and an in-memory list of buried jobs; holds each dead
/// letter at once, or later when `hold_later` (as a durable store does after its fsync).
struct Rules final : coyote::host::jobs::DeliveryRules {
  coyote::host::jobs::RetryPolicy policy;
  bool hold_later = false;
  struct Buried {
    std::string id;
    std::string reason;
    std::int64_t attempts;
  };
  std::vector<Buried> buried;
  std::vector<Held> pending;
  [[nodiscard]] const coyote::host::jobs::RetryPolicy& retry_policy(
      std::string_view) const override {
    return policy;
  }
  void bury(const coyote::sdk::Job& job, std::string_view reason, std::int64_t attempts,
            Held held) override {
    buried.push_back({job.id(), std::string(reason), attempts});
    if (hold_later) {
      pending.push_back(std::move(held));
      return;
    }
    held(coyote::sdk::Status::ok());
  }
};

}  // namespace

TEST_CASE("a failed job is retried until max_attempts, then dead-lettered with its error",
          "[response]") {
  Rules rules;
  rules.policy.max_attempts = 3;
  rules.policy.backoff = coyote::host::jobs::Backoff::kLinear;
  rules.policy.initial = std::chrono::milliseconds{2000};
  rules.policy.jitter = 0.0;
  Counters counters;
  ResponseHandler handler{counters, coyote::host::log::get("jobs"), &rules};
  ExecOutcome lost;
  lost.kind = ExecOutcome::Kind::kWorkerLost;
  lost.message = "signal 9";

  SECTION("attempts 1 and 2 are redelivered with growing delays") {
    FakeJob first{"j", 10};
    handler.handle(lend(first), lost);
    REQUIRE(first.received);
    CHECK(first.received->call == "requeue");
    CHECK(first.received->delay == std::chrono::seconds{2});
    FakeJob second{"j", 10};
    second.headers()["X-Coyote-Attempt"] = {"2"};
    handler.handle(lend(second), lost);
    REQUIRE(second.received);
    CHECK(second.received->headers.at("X-Coyote-Attempt") == std::vector<std::string>{"3"});
    CHECK(second.received->delay == std::chrono::seconds{4});
    CHECK(rules.buried.empty());
  }
  SECTION("the last attempt goes to the dead-letter store and is acked") {
    FakeJob last{"j", 10};
    last.headers()["X-Coyote-Attempt"] = {"3"};
    handler.handle(lend(last), lost);
    REQUIRE(last.received);
    CHECK(last.received->call == "ack");
    REQUIRE(rules.buried.size() == 1);
    CHECK(rules.buried[0].id == "j");
    CHECK(rules.buried[0].attempts == 3);
    CHECK(rules.buried[0].reason.find("signal 9") != std::string::npos);
    CHECK(counters.jobs_dead == 1);
  }
  SECTION("without delivery rules (no dead-letter store) the last attempt is dropped, counted") {
    ResponseHandler bare{counters, coyote::host::log::get("jobs")};
    FakeJob last{"j", 10};
    last.headers()["X-Coyote-Attempt"] = {"3"};
    bare.handle(lend(last), lost);
    REQUIRE(last.received);
    CHECK(last.received->call == "nack_with_options");
    CHECK_FALSE(last.received->requeue);
    CHECK(counters.jobs_dropped == 1);
  }
}

TEST_CASE("a worker's explicit failure without requeue is dead-lettered, not retried",
          "[response]") {
  Rules rules;
  Counters counters;
  ResponseHandler handler{counters, coyote::host::log::get("jobs"), &rules};
  const char* body = GENERATE(R"({"type":1,"data":{"message":"bad input","requeue":false}})",
                              R"({"type":3,"data":{"message":"bad input","requeue":false}})");
  FakeJob job{"x", 10};
  ExecOutcome o;
  o.body = body;
  handler.handle(lend(job), o);
  REQUIRE(job.received);
  CHECK(job.received->call == "ack");
  REQUIRE(rules.buried.size() == 1);
  CHECK(rules.buried[0].attempts == 1);
  CHECK(rules.buried[0].reason.find("bad input") != std::string::npos);
}

TEST_CASE("a failing driver call ends in an ack and an error count", "[response]") {
  Harness h;
  SECTION("failed requeue falls back to ack") {
    h.job.fail_calls(false);
    CHECK(h.reply(R"({"type":4,"data":{"delay_seconds":0}})").call == "requeue+ack");
    CHECK(h.counters.jobs_err == 1);
    CHECK(h.counters.jobs_requeue == 0);
  }
  SECTION("failed ack is not retried") {
    h.job.fail_calls(true);
    CHECK(h.reply(R"({"type":2,"data":[]})").call == "ack");
    CHECK(h.counters.jobs_err == 1);
    CHECK(h.counters.jobs_ok == 0);
  }
}

TEST_CASE("a driver's acknowledgement that throws is its error, and the job is still settled",
          "[response]") {
  Harness h;
  SECTION("a throwing requeue is answered with an ack, as a refused one is") {
    h.job.throw_in("requeue");
    CHECK(h.reply(R"({"type":4,"data":{"delay_seconds":1}})").call == "requeue+ack");
    CHECK(h.counters.jobs_err == 1);
  }
  SECTION("a throwing ack is counted and logged, nothing unwinds") {
    h.job.throw_in("ack");
    CHECK(h.reply(R"({"type":2,"data":[]})").call == "ack");
    CHECK(h.counters.jobs_err == 1);
    CHECK(h.counters.jobs_ok == 0);
  }
}

TEST_CASE("a dead-lettered job is acked only once its dead letter is held", "[response][dead]") {
  Rules rules;
  rules.hold_later = true;
  Counters counters;
  ResponseHandler handler{counters, coyote::host::log::get("jobs"), &rules};
  FakeJob job{"x", 10};
  ExecOutcome o;
  o.body = R"({"type":1,"data":{"message":"bad input","requeue":false}})";
  handler.handle(lend(job), o);
  REQUIRE(rules.pending.size() == 1);
  CHECK_FALSE(job.received);  // not acked while the dead letter is not yet safely held
  CHECK(handler.burying() == 1);
  CHECK(counters.jobs_dead == 0);
  rules.pending[0](coyote::sdk::Status::ok());
  REQUIRE(job.received);
  CHECK(job.received->call == "ack");
  CHECK(handler.burying() == 0);
  CHECK(counters.jobs_dead == 1);
}

TEST_CASE("a job whose dead letter cannot be held is handed back to its driver, not acked",
          "[response][dead]") {
  Rules rules;
  rules.hold_later = true;
  rules.policy.max_attempts = 1;
  Counters counters;
  ResponseHandler handler{counters, coyote::host::log::get("jobs"), &rules};
  FakeJob job{"x", 10};
  ExecOutcome lost;
  lost.kind = ExecOutcome::Kind::kWorkerLost;
  lost.message = "signal 9";
  handler.handle(lend(job), lost);
  REQUIRE(rules.pending.size() == 1);
  rules.pending[0](coyote::sdk::Status::error("disk full"));
  REQUIRE(job.received);
  CHECK(job.received->call == "nack_with_options");
  CHECK(job.received->requeue);
  CHECK(job.received->delay == ResponseHandler::kBuryRetryDelay);
  CHECK(counters.jobs_dead == 0);
  CHECK(handler.burying() == 0);
}

TEST_CASE("an acked job's Traceparent node is kept for the next job, a requeued job keeps its own",
          "[response][trace]") {
  Harness h;
  coyote::host::support::FastRandom rng(7);
  REQUIRE(h.handler.trace_nodes().ensure(h.job.headers(), rng));
  // The handler settles a lent copy of h.job (tests/support/fake_job.hpp), so what it leaves in
  // the settled job's headers is checked through the engine (engine_stats_test.cpp).
  SECTION("ack: the node leaves the finished job") {
    CHECK(h.reply(R"({"type":2,"data":[]})").call == "ack");
    CHECK(h.handler.trace_nodes().spare() == 1);
  }
  SECTION("requeue and nack: the node stays with the job") {
    const char* body =
        GENERATE(R"({"type":4,"data":{"message":"m","delay_seconds":0,"headers":{}}})",
                 R"({"type":3,"data":{"message":"m","requeue":true,"delay_seconds":0}})");
    CHECK(h.reply(body).call != "ack");
    CHECK(h.handler.trace_nodes().spare() == 0);
  }
}
