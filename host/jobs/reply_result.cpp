#include "jobs/reply_result.hpp"

#include <boost/json/serialize.hpp>

namespace coyote::host::jobs {

void read_result(const boost::json::object& body, Reply& reply) {
  const auto* data = body.if_contains("data");
  if (data == nullptr || !data->is_object()) return;
  if (const auto* result = data->get_object().if_contains("result"); result != nullptr) {
    reply.result = boost::json::serialize(*result);
  }
}

}  // namespace coyote::host::jobs
