// RpcSession: a client command's connection to `coyote serve`, failing with the CLI's exit codes.
#pragma once

#include "cli/options.hpp"
#include "rpc/request.hpp"
#include "rpc/rpc_client.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace coyote::host::cli {

/// Connects to --rpc, else to rpc.listen of the configuration load_config() selects (the same
/// loader `serve` uses, so ${VAR} and -o apply). Every failure ends the command through fail():
/// a bad config or address exits kExitUsage, an unreachable server kExitConnect, a service
/// error kExitServiceError.
class RpcSession {
 public:
  explicit RpcSession(const Options& options);

  /// The reply body.
  std::string call(std::string_view method, rpc::Codec codec, std::string_view body);
  /// A JSON-codec call with an object argument; the reply parsed.
  boost::json::value call_json(std::string_view method, const boost::json::object& request);

 private:
  std::string address_;
  std::unique_ptr<rpc::RpcClient> client_;
};

/// The address a client connects to (see RpcSession); fails like it.
[[nodiscard]] std::string client_address(const Options& options);

}  // namespace coyote::host::cli
