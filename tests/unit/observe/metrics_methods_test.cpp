#include "observe/metrics_methods.hpp"

#include "metrics/text_format.hpp"

#include <catch2/catch.hpp>

using coyote::host::metrics::AppMetrics;
using coyote::host::metrics::Registry;
using coyote::host::rpc::Call;
using coyote::host::rpc::Codec;
using coyote::host::rpc::MethodTable;

namespace {

struct Rig {
  Rig() : app(registry, {.max_series = 3}) {
    coyote::host::observe::add_metrics_methods(table, app);
  }
  /// (ok, reply body or error text)
  std::pair<bool, std::string> call(const std::string& method, const std::string& body,
                                    Codec codec = Codec::kJson) {
    std::pair<bool, std::string> out{false, "no reply"};
    table.dispatch(Call{codec, method, body}, [&](coyote::sdk::Status s, std::string reply) {
      out = s ? std::make_pair(true, std::move(reply)) : std::make_pair(false, s.message());
    });
    return out;
  }
  std::string text() { return coyote::host::metrics::format_text(registry.snapshot()); }
  Registry registry;
  AppMetrics app;
  MethodTable table;
};

}  // namespace

TEST_CASE("metrics.Declare then Add, Set, Sub, Observe answer true and move the series",
          "[observe][metrics-rpc]") {
  Rig rig;
  CHECK(rig.call("metrics.Declare",
                 R"({"name":"hits","collector":{"namespace":"app","type":"counter","help":"Hits",)"
                 R"("labels":["route"]}})") == std::make_pair(true, std::string("true")));
  CHECK(
      rig.call("metrics.Declare", R"({"name":"depth","collector":{"type":"gauge","help":"Depth"}})")
          .first);
  CHECK(rig.call("metrics.Declare",
                 R"({"name":"lat","collector":{"type":"summary","help":"Latency",)"
                 R"("objectives":{"0.5":0.05,"0.9":0.01}}})")
            .first);
  CHECK(rig.call("metrics.Add", R"({"name":"hits","value":2,"labels":["/home"]})").first);
  CHECK(rig.call("metrics.Set", R"({"name":"depth","value":7})").first);
  CHECK(rig.call("metrics.Sub", R"({"name":"depth","value":2.5})").first);
  CHECK(rig.call("metrics.Observe", R"({"name":"lat","value":0.25})").first);
  const std::string text = rig.text();
  CHECK_THAT(text, Catch::Contains("app_hits{route=\"/home\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("depth 4.5\n"));
  CHECK_THAT(text, Catch::Contains("lat{quantile=\"0.5\"} 0.25\n"));
  CHECK(rig.call("metrics.Unregister", R"("depth")") == std::make_pair(true, std::string("true")));
  CHECK_THAT(rig.text(), !Catch::Contains("depth"));
}

TEST_CASE("metrics.* errors say what is wrong and change nothing", "[observe][metrics-rpc]") {
  Rig rig;
  CHECK_THAT(rig.call("metrics.Add", R"({"name":"nope","value":1})").second,
             Catch::Contains("undefined collector: nope"));
  CHECK_THAT(rig.call("metrics.Add", R"({"name":"x","value":"one"})").second,
             Catch::Contains("value"));
  CHECK_THAT(rig.call("metrics.Declare", R"({"name":"bad","collector":{"type":"meter"}})").second,
             Catch::Contains("unknown collector type"));
  CHECK_THAT(rig.call("metrics.Declare",
                      R"({"name":"s","collector":{"type":"summary","objectives":{"half":0.1}}})")
                 .second,
             Catch::Contains("\"half\" is not a quantile"));
  CHECK_THAT(rig.call("metrics.Add", R"({"name":"x","value":1})", Codec::kProto).second,
             Catch::Contains("JSON codec"));
  CHECK_THAT(rig.call("metrics.Set", "{not json").second,
             Catch::Contains("cannot decode the argument"));
  CHECK(rig.app.size() == 0);
}

TEST_CASE("metrics.Set refuses label values beyond metrics.max_series", "[observe][metrics-rpc]") {
  Rig rig;
  REQUIRE(rig.call("metrics.Declare",
                   R"({"name":"users","collector":{"type":"gauge","labels":["user"]}})")
              .first);
  int refused = 0;
  for (int i = 0; i < 10; ++i) {
    auto r = rig.call("metrics.Set",
                      R"({"name":"users","value":1,"labels":["u)" + std::to_string(i) + R"("]})");
    if (!r.first) ++refused;
  }
  CHECK(refused == 7);
  CHECK_THAT(rig.text(),
             Catch::Contains("coyote_metrics_series_refused_total{metric=\"users\"} 7\n"));
}
