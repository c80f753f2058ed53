// ReplyResult: the result a worker may attach to its ack, Coyote's extension of the reply (3.4).
#pragma once

#include "jobs/reply.hpp"

#include <boost/json/object.hpp>

namespace coyote::host::jobs {

/// An ack ({"type":2} or the deprecated {"type":0}) may carry {"data":{"result": <any JSON>}}:
/// the value is kept, serialized, in `reply.result`. RoadRunner's own acks send "data":[] and
/// the host's fast path never gets here for them; a "data" that is not an object carries none.
void read_result(const boost::json::object& body, Reply& reply);

}  // namespace coyote::host::jobs
