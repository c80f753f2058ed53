#include "cli/rpc_session.hpp"

#include "cli/command_failure.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <stdexcept>

namespace coyote::host::cli {

std::string client_address(const Options& options) {
  if (!options.rpc.empty()) return options.rpc;
  try {
    return rpc_listen(load_config(options));
  } catch (const sdk::ConfigError& e) {
    fail(kExitUsage, std::string("configuration error: ") + e.what() +
                         "; pass an existing file with -c or the server address with --rpc");
  }
}

RpcSession::RpcSession(const Options& options) : address_(client_address(options)) {
  try {
    client_ = std::make_unique<rpc::RpcClient>(address_);
  } catch (const std::invalid_argument& e) {
    fail(kExitUsage, e.what());
  } catch (const rpc::RpcConnectError& e) {
    fail(kExitConnect, "cannot connect to coyote RPC at " + address_ + ": " + e.what() +
                           "; is `coyote serve` running? set rpc.listen or --rpc");
  }
}

std::string RpcSession::call(std::string_view method, rpc::Codec codec, std::string_view body) {
  rpc::RpcReply reply;
  try {
    reply = client_->call(method, codec, body);
  } catch (const rpc::RpcTransportError& e) {
    fail(kExitConnect, "RPC to " + address_ + " failed: " + e.what());
  }
  if (reply.error) fail(kExitServiceError, std::string(method) + ": " + reply.body);
  return reply.body;
}

boost::json::value RpcSession::call_json(std::string_view method,
                                         const boost::json::object& request) {
  const std::string body = call(method, rpc::Codec::kJson, boost::json::serialize(request));
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec) fail(kExitServiceError, std::string(method) + ": unreadable reply: " + body);
  return v;
}

}  // namespace coyote::host::cli
