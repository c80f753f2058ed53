// MethodTable: the RPC methods a server answers, a value mapping "service.Method" to a handler.
#pragma once

#include "rpc/request.hpp"

#include <coyote/sdk/status.hpp>

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::rpc {

/// Completes a call: an ok status with the encoded reply body, or an error whose message is sent
/// verbatim as the error text. Call it exactly once, on the loop thread, now or later.
using Reply = std::function<void(sdk::Status status, std::string body)>;

/// What a handler gets. `body` views into the connection's read buffer and is valid only until
/// the handler returns: decode it synchronously, keep nothing pointing into it.
struct Call {
  Codec codec = Codec::kProto;
  std::string_view method;
  std::string_view body;
};

using Handler = std::function<void(const Call& call, Reply reply)>;

class MethodTable {
 public:
  /// Adds or replaces `name` ("service.Method", case-sensitive).
  void add(std::string name, Handler handler);
  [[nodiscard]] const Handler* find(std::string_view name) const;
  [[nodiscard]] std::vector<std::string> names() const;

  /// Routes one call; unknown names get net/rpc's error texts ("rpc: can't find method jobs.Nope",
  /// "rpc: can't find service foo.Bar", "rpc: service/method request ill-formed: x"). A handler
  /// that throws is answered with an error instead of unwinding into the server.
  void dispatch(const Call& call, Reply reply) const;

 private:
  std::map<std::string, Handler, std::less<>> handlers_;
};

}  // namespace coyote::host::rpc
