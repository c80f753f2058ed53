#include "unit/dashboard/api_rig.hpp"

#include "worker/job_executor.hpp"

#include <catch2/catch.hpp>

namespace json = boost::json;
using boost::beast::http::verb;
using coyote::test::ApiRig;

namespace {

std::string state_of(ApiRig& t, std::string_view name) {
  const auto body = ApiRig::json(t.get("/api/pipelines"));
  for (const auto& p : body.at("pipelines").as_array()) {
    if (p.at("name").as_string() == name) return std::string(p.at("state").as_string());
  }
  return "missing";
}

/// A job pushed through the API whose only attempt is lost: it lands in store "dlq".
void kill_one(ApiRig& t, const std::string& id) {
  const auto pushed = t.post("/api/push", R"({"pipeline":"p","job":"Doomed","id":")" + id +
                                              R"(","payload":"<script>alert(1)</script>",)"
                                              R"("headers":{"X-Trace":["<b>x</b>"]}})");
  REQUIRE(pushed.status == 200);
  t.rig.executor.add_workers(1);
  REQUIRE(coyote::test::run_until(t.rig.io, [&] { return t.rig.executor.calls.size() == 1; }));
  coyote::host::worker::ExecOutcome lost;
  lost.kind = coyote::host::worker::ExecOutcome::Kind::kWorkerLost;
  lost.message = "worker exited with signal 9";
  t.rig.executor.finish(lost, false);
  REQUIRE(coyote::test::run_until(
      t.rig.io, [&] { return !t.rig.engine->dead_letters().dead_list("dlq").empty(); }));
}

}  // namespace

TEST_CASE("the overview reports totals, queue depth, pipelines, history and the version",
          "[dashboard]") {
  ApiRig t;
  REQUIRE(t.post("/api/push", R"({"pipeline":"p","job":"A"})").status == 200);
  REQUIRE(t.post("/api/push", R"({"pipeline":"p","job":"B"})").status == 200);
  t.history.record(t.api.sample());
  const auto o = ApiRig::json(t.get("/api/overview"));
  CHECK(o.at("version").as_string() == "9.9.9");
  CHECK(o.at("totals").at("pushed").to_number<int>() == 2);
  CHECK(o.at("queued").to_number<int>() + o.at("delayed").to_number<int>() +
            o.at("active").to_number<int>() >=
        1);
  CHECK(o.at("pipelines").at("total").to_number<int>() == 2);
  CHECK(o.at("history").is_array());
  CHECK(o.at("uptime_seconds").to_number<int>() >= 0);
}

TEST_CASE("pause and resume change the state /api/pipelines reports", "[dashboard]") {
  ApiRig t;
  CHECK(state_of(t, "p") == "active");
  REQUIRE(t.post("/api/pipelines/pause", R"({"pipelines":["p"]})").status == 200);
  CHECK(state_of(t, "p") == "paused");
  REQUIRE(t.post("/api/pipelines/resume", R"({"pipeline":"p"})").status == 200);
  CHECK(state_of(t, "p") == "active");
  const auto wrong = t.post("/api/pipelines/pause", R"({"pipelines":["nope"]})");
  CHECK(wrong.status == 400);
  CHECK_THAT(wrong.body, Catch::Contains("nope"));
}

TEST_CASE("declare and destroy go through the engine's own checks", "[dashboard]") {
  ApiRig t;
  const auto declared = t.post("/api/pipelines/declare",
                               R"({"options":{"driver":"memory","name":"dyn","priority":7}})");
  REQUIRE(declared.status == 200);
  CHECK(state_of(t, "dyn") != "missing");
  const auto again = t.post("/api/pipelines/declare", R"({"driver":"memory","name":"dyn"})");
  CHECK(again.status == 400);
  CHECK_THAT(again.body, Catch::Contains("pipeline already exists"));
  REQUIRE(t.post("/api/pipelines/destroy", R"({"pipelines":["dyn"]})").status == 200);
  CHECK(state_of(t, "dyn") == "missing");
}

TEST_CASE("a POST without the CSRF header is refused and changes nothing", "[dashboard][csrf]") {
  ApiRig t;
  const auto r =
      t.send(ApiRig::request(verb::post, "/api/pipelines/pause", R"({"pipelines":["p"]})", false));
  CHECK(r.status == 403);
  CHECK_THAT(r.body, Catch::Contains("X-Coyote-CSRF"));
  CHECK(state_of(t, "p") == "active");
}

TEST_CASE("a cross-origin POST is refused even with the CSRF token", "[dashboard][csrf]") {
  ApiRig t;
  auto r = ApiRig::request(verb::post, "/api/pipelines/pause", R"({"pipelines":["p"]})");
  r.message.set(boost::beast::http::field::origin, "http://evil.example");
  CHECK(t.send(r).status == 403);
  auto site = ApiRig::request(verb::post, "/api/pipelines/pause", R"({"pipelines":["p"]})");
  site.message.set("Sec-Fetch-Site", "cross-site");
  CHECK(t.send(site).status == 403);
  auto form = ApiRig::request(verb::post, "/api/pipelines/pause", R"({"pipelines":["p"]})");
  form.message.set(boost::beast::http::field::content_type, "text/plain");
  CHECK(t.send(form).status == 415);
  CHECK(state_of(t, "p") == "active");
  auto same = ApiRig::request(verb::post, "/api/pipelines/pause", R"({"pipelines":["p"]})");
  same.message.set(boost::beast::http::field::origin, "http://test");
  CHECK(t.send(same).status == 200);
}

TEST_CASE("actions refuse GET and reads refuse POST", "[dashboard]") {
  ApiRig t;
  CHECK(t.get("/api/pipelines/pause").status == 405);
  CHECK(t.post("/api/overview", "{}").status == 405);
  CHECK(t.get("/api/push").status == 405);
  auto put = ApiRig::request(verb::put, "/api/overview");
  CHECK(t.send(put).status == 405);
  CHECK(t.get("/api/nothing").status == 404);
}

TEST_CASE("push names what is missing and refuses an unknown pipeline", "[dashboard]") {
  ApiRig t;
  CHECK_THAT(t.post("/api/push", R"({"job":"A"})").body, Catch::Contains("pipeline"));
  CHECK_THAT(t.post("/api/push", R"({"pipeline":"p"})").body, Catch::Contains("job"));
  const auto unknown = t.post("/api/push", R"({"pipeline":"zz","job":"A"})");
  CHECK(unknown.status == 400);
  CHECK_THAT(unknown.body, Catch::Contains("zz"));
  CHECK(t.post("/api/push", "not json").status == 400);
  CHECK(t.post("/api/push", R"({"pipeline":"p","job":"A","headers":{"k":1}})").status == 400);
}

TEST_CASE("dead jobs are listed, filtered, paged and shown with payload and headers as data",
          "[dashboard][dead]") {
  ApiRig t;
  kill_one(t, "d1");
  const auto list = ApiRig::json(t.get("/api/dead"));
  REQUIRE(list.at("total").to_number<int>() == 1);
  const auto& row = list.at("jobs").at(0);
  CHECK(row.at("id").as_string() == "d1");
  CHECK(row.at("origin").as_string() == "p");
  CHECK(row.at("store").as_string() == "dlq");
  CHECK_THAT(std::string(row.at("error").as_string()), Catch::Contains("signal 9"));
  CHECK(ApiRig::json(t.get("/api/dead?q=nomatch")).at("total").to_number<int>() == 0);
  CHECK(ApiRig::json(t.get("/api/dead?q=DOOMED")).at("total").to_number<int>() == 1);
  CHECK(ApiRig::json(t.get("/api/dead?offset=1")).at("jobs").as_array().empty());
  const auto detail = ApiRig::json(t.get("/api/dead/job?store=dlq&id=d1"));
  CHECK(detail.at("payload").at("encoding").as_string() == "text");
  CHECK(detail.at("payload").at("data").as_string() == "<script>alert(1)</script>");
  CHECK(detail.at("headers").at("X-Trace").at(0).as_string() == "<b>x</b>");
  CHECK(t.get("/api/dead/job?id=zz").status == 404);
}

TEST_CASE("replaying a dead job through the RPC's handler runs it again", "[dashboard][dead]") {
  ApiRig t;
  kill_one(t, "d2");
  const auto replay = t.post("/api/dead/replay", R"({"store":"dlq","ids":["d2","zz"]})");
  REQUIRE(replay.status == 200);
  const auto body = ApiRig::json(replay);
  CHECK(body.at("done").at(0).as_string() == "d2");
  CHECK(body.at("failed").at(0).at("id").as_string() == "zz");
  CHECK(ApiRig::json(t.get("/api/dead")).at("total").to_number<int>() == 0);
  t.rig.executor.add_workers(1);
  CHECK(coyote::test::run_until(t.rig.io, [&] { return t.rig.executor.calls.size() == 1; }));
}

TEST_CASE("delete all empties the dead-letter store", "[dashboard][dead]") {
  ApiRig t;
  kill_one(t, "d3");
  REQUIRE(t.post("/api/dead/delete", R"({"store":"dlq","all":true})").status == 200);
  CHECK(ApiRig::json(t.get("/api/dead")).at("total").to_number<int>() == 0);
  CHECK(t.post("/api/dead/nope", "{}").status == 404);
}

TEST_CASE("worker actions name an unknown pool", "[dashboard]") {
  ApiRig t;
  const auto r = t.post("/api/workers/add", R"({"pool":"nope"})");
  CHECK(r.status == 404);
  CHECK_THAT(r.body, Catch::Contains("nope"));
  const auto pools = ApiRig::json(t.get("/api/workers"));
  CHECK(pools.at("pools").as_array().size() == 1);
}

TEST_CASE("a binary payload is shown as hex and a long one is cut at the cap", "[dashboard]") {
  using coyote::host::dashboard::preview_payload;
  const auto bin = preview_payload(std::string("\x00\x01\xff", 3), 100);
  CHECK(bin.encoding == "hex");
  CHECK(bin.data == "0001ff");
  const auto cut = preview_payload(std::string(100, 'a'), 16);
  CHECK(cut.encoding == "text");
  CHECK(cut.truncated);
  CHECK(cut.data.size() == 16);
  // A cap through a multi-byte character keeps it text.
  const auto utf8 = preview_payload("aé", 2);
  CHECK(utf8.encoding == "text");
  CHECK(utf8.data == "a");
}
