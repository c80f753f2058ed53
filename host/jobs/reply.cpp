#include "jobs/reply.hpp"

#include "jobs/delay_limit.hpp"
#include "jobs/reply_result.hpp"
#include "jobs/retry_policy.hpp"

#include <boost/json.hpp>

#include <optional>
#include <utility>

namespace coyote::host::jobs {
namespace {

namespace json = boost::json;

constexpr std::uint64_t kNoError = 0;  // deprecated "complete"
constexpr std::uint64_t kError = 1;    // deprecated "fail"
constexpr std::uint64_t kAck = 2;
constexpr std::uint64_t kNack = 3;
constexpr std::uint64_t kRequeue = 4;

std::optional<std::int64_t> as_int(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v.get_uint64());
  }
  return std::nullopt;
}

sdk::Status parse_headers(const json::value& v, sdk::Headers& out) {
  if (v.is_null()) return sdk::Status::ok();
  if (!v.is_object()) {
    return sdk::Status::error("\"headers\" must be an object of string arrays");
  }
  for (const auto& [key, values] : v.get_object()) {
    // The host owns the delivery counter: a worker returns the headers it received (PHP sends
    // the whole map on requeue), and its copy of the counter never replaces the host's.
    if (key == kAttemptHeader) continue;
    if (!values.is_array() && !values.is_null()) {
      return sdk::Status::error("header \"" + std::string(key) + "\" must be an array of strings");
    }
    std::vector<std::string> list;
    if (values.is_array()) {
      for (const auto& item : values.get_array()) {
        if (!item.is_string()) {
          return sdk::Status::error("header \"" + std::string(key) +
                                    "\" must be an array of strings");
        }
        list.emplace_back(item.get_string());
      }
    }
    out.insert_or_assign(std::string(key), std::move(list));
  }
  return sdk::Status::ok();
}

}  // namespace

sdk::Result<Reply> parse_reply(std::string_view body) {
  // The replies PHP's ack()/complete() send, byte for byte: nearly every reply on a busy host.
  // Recognising them skips building a JSON DOM on the hot path; anything else is parsed fully.
  if (body == R"({"type":2,"data":[]})") return Reply{.type = kAck};
  if (body == R"({"type":0,"data":[]})") return Reply{.type = kNoError};

  boost::system::error_code ec;
  json::value root = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec) {
    return sdk::Status::error("not JSON: " + ec.message());
  }
  if (!root.is_object()) {
    return sdk::Status::error("not a JSON object");
  }
  const auto& obj = root.get_object();
  Reply reply;
  const json::value* type = obj.if_contains("type");
  auto type_value = type != nullptr ? as_int(*type) : std::nullopt;
  if (!type_value || *type_value < 0) {
    return sdk::Status::error("\"type\" must be an unsigned integer");
  }
  reply.type = static_cast<std::uint64_t>(*type_value);
  if (reply.type == kAck || reply.type == kNoError) read_result(obj, reply);
  if (reply.type != kError && reply.type != kNack && reply.type != kRequeue) return reply;

  const json::value* data = obj.if_contains("data");
  if (data == nullptr || (!data->is_object() && !data->is_null())) {
    return sdk::Status::error("\"data\" must be an object for type " + std::to_string(reply.type));
  }
  if (data->is_null()) return reply;
  const auto& d = data->get_object();
  if (const auto* m = d.if_contains("message"); m != nullptr && !m->is_null()) {
    if (!m->is_string()) {
      return sdk::Status::error("\"message\" must be a string");
    }
    reply.message = std::string(m->get_string());
  }
  if (const auto* r = d.if_contains("requeue"); r != nullptr && !r->is_null()) {
    if (!r->is_bool()) {
      return sdk::Status::error("\"requeue\" must be a boolean");
    }
    reply.requeue = r->get_bool();
  }
  if (const auto* s = d.if_contains("delay_seconds"); s != nullptr && !s->is_null()) {
    auto seconds = as_int(*s);
    if (!seconds) {
      return sdk::Status::error("\"delay_seconds\" must be an integer");
    }
    if (auto status = check_delay(*seconds, "\"delay_seconds\""); !status) return status;
    reply.delay = std::chrono::seconds{*seconds < 0 ? 0 : *seconds};
  }
  if (const auto* h = d.if_contains("headers"); h != nullptr) {
    if (auto status = parse_headers(*h, reply.headers); !status) return status;
  }
  return reply;
}

}  // namespace coyote::host::jobs
