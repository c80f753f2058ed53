#include "rpc/method_table.hpp"

#include <exception>
#include <memory>

namespace coyote::host::rpc {

void MethodTable::add(std::string name, Handler handler) {
  handlers_.insert_or_assign(std::move(name), std::move(handler));
}

const Handler* MethodTable::find(std::string_view name) const {
  const auto it = handlers_.find(name);
  return it == handlers_.end() ? nullptr : &it->second;
}

std::vector<std::string> MethodTable::names() const {
  std::vector<std::string> out;
  out.reserve(handlers_.size());
  for (const auto& [name, handler] : handlers_) out.push_back(name);
  return out;
}

void MethodTable::dispatch(const Call& call, Reply reply) const {
  const std::string_view method = call.method;
  const std::size_t dot = method.rfind('.');
  if (dot == std::string_view::npos) {
    reply(sdk::Status::error("rpc: service/method request ill-formed: " + std::string(method)), {});
    return;
  }
  const Handler* handler = find(method);
  if (handler == nullptr) {
    // A service exists when any method shares its "service." prefix.
    const std::string_view service = method.substr(0, dot + 1);
    const auto it = handlers_.lower_bound(service);
    const bool service_known =
        it != handlers_.end() && std::string_view(it->first).substr(0, service.size()) == service;
    reply(sdk::Status::error(
              std::string(service_known ? "rpc: can't find method " : "rpc: can't find service ") +
              std::string(method)),
          {});
    return;
  }
  // Guards against a handler that throws after it already replied: reply once only.
  auto replied = std::make_shared<bool>(false);
  Reply once = [replied, reply = std::move(reply)](sdk::Status status, std::string body) {
    if (*replied) return;
    *replied = true;
    reply(std::move(status), std::move(body));
  };
  try {
    (*handler)(call, once);
  } catch (const std::exception& e) {
    once(sdk::Status::error(std::string(method) + ": internal error: " + e.what()), {});
  } catch (...) {
    once(sdk::Status::error(std::string(method) + ": internal error"), {});
  }
}

}  // namespace coyote::host::rpc
