#include "observe/status_service.hpp"

#include "observe/status.pb.h"
#include "unit/observe/observe_rig.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

using coyote::host::observe::StatusService;
using coyote::host::observe::StatusSettings;
using coyote::host::rpc::Call;
using coyote::host::rpc::Codec;
using coyote::host::rpc::MethodTable;
using coyote::test::ObserveRig;

namespace {

std::pair<bool, std::string> call(const MethodTable& table, const std::string& method,
                                  const std::string& body, Codec codec) {
  std::pair<bool, std::string> out{false, "no reply"};
  table.dispatch(Call{codec, method, body}, [&](coyote::sdk::Status s, std::string reply) {
    out = s ? std::make_pair(true, std::move(reply)) : std::make_pair(false, s.message());
  });
  return out;
}

}  // namespace

TEST_CASE("a host without workers is healthy and ready (RoadRunner answers 503)",
          "[observe][status]") {
  ObserveRig rig(R"(
version: "3"
jobs:
  pool:
    num_workers: 0
  pipelines:
    out:
      driver: memory
)");
  StatusService status(*rig.engine, rig.pools, StatusSettings{});
  CHECK(status.checks(false).at("jobs").code == 200);
  CHECK(status.checks(true).at("jobs").code == 200);
}

TEST_CASE("status.ready_rule idle_worker restores RoadRunner's readiness rule",
          "[observe][status]") {
  ObserveRig rig;  // no worker at all
  StatusSettings settings;
  settings.ready_rule = coyote::host::status::ReadyRule::kIdleWorker;
  StatusService status(*rig.engine, rig.pools, settings);
  const auto ready = status.checks(true).at("jobs");
  CHECK(ready.code == 503);
  CHECK_THAT(ready.message, Catch::Contains("status.ready_rule: idle_worker"));
  CHECK(status.checks(false).at("jobs").code == 200);  // liveness keeps Coyote's rule
}

TEST_CASE("status.Status and status.Ready answer over proto and JSON", "[observe][status]") {
  ObserveRig rig(R"(
version: "3"
jobs:
  pool:
    num_workers: 0
  pipelines:
    out:
      driver: memory
)");
  StatusService status(*rig.engine, rig.pools, StatusSettings{});
  MethodTable table;
  status.add_methods(table);

  ::status::v1::Request request;
  request.set_plugin("jobs");
  auto proto = call(table, "status.Ready", request.SerializeAsString(), Codec::kProto);
  REQUIRE(proto.first);
  ::status::v1::Response response;
  REQUIRE(response.ParseFromString(proto.second));
  CHECK(response.code() == 200);

  auto json = call(table, "status.Status", R"({"plugin":"jobs"})", Codec::kJson);
  REQUIRE(json.first);
  CHECK(boost::json::parse(json.second).at("code").as_int64() == 200);

  auto unknown = call(table, "status.Status", R"({"plugin":"http"})", Codec::kJson);
  CHECK_FALSE(unknown.first);
  CHECK_THAT(unknown.second, Catch::Contains("no such plugin: http"));
  CHECK_THAT(call(table, "status.Status", "\x0a\xff", Codec::kProto).second,
             Catch::Contains("malformed"));
}
