#include "beanstalk/envelope.hpp"

#include <coyote/sdk/json_text.hpp>

#include <boost/json.hpp>

namespace coyote::drivers::beanstalk {

namespace {

constexpr std::string_view kMagic = "{\"coyote\":1,";

bool read_headers(const boost::json::object& object, sdk::Headers& out) {
  for (const auto& [key, value] : object) {
    const auto* values = value.if_array();
    if (values == nullptr) return false;
    std::vector<std::string> list;
    list.reserve(values->size());
    for (const auto& v : *values) {
      const auto* s = v.if_string();
      if (s == nullptr) return false;
      list.emplace_back(s->data(), s->size());
    }
    out.insert_or_assign(std::string(key), std::move(list));
  }
  return true;
}

}  // namespace

void encode_envelope(const sdk::Message& message, std::string& out) {
  out.reserve(out.size() + 64 + message.id.size() + message.name.size() + message.payload.size());
  out += kMagic;
  out += "\"id\":";
  sdk::json_text::append_string(out, message.id);
  out += ",\"job\":";
  sdk::json_text::append_string(out, message.name);
  out += ",\"priority\":";
  out += std::to_string(message.options.priority);
  if (!message.headers.empty()) {
    out += ",\"headers\":";
    sdk::json_text::append_headers(out, message.headers);
  }
  if (message.options.auto_ack) out += ",\"auto_ack\":true";
  // json_text escapes every control character, so the line holds no raw newline.
  out += "}\n";
  out += message.payload;
}

bool decode_envelope(std::string_view body, sdk::Message& out) {
  if (body.substr(0, kMagic.size()) != kMagic) return false;
  const auto newline = body.find('\n');
  if (newline == std::string_view::npos) return false;
  boost::system::error_code ec;
  // Ids, names and headers are bytes to Coyote (json_text passes non-ASCII through unchanged):
  // what was written must read back even when it is not UTF-8.
  boost::json::parse_options options;
  options.allow_invalid_utf8 = true;
  const boost::json::value header =
      boost::json::parse(body.substr(0, newline), ec, boost::json::storage_ptr(), options);
  if (ec) return false;
  const auto* object = header.if_object();
  if (object == nullptr) return false;
  const auto* version = object->if_contains("coyote");
  const auto* id = object->if_contains("id");
  const auto* job = object->if_contains("job");
  if (version == nullptr || !version->is_int64() || version->as_int64() != 1) return false;
  if (id == nullptr || !id->is_string() || job == nullptr || !job->is_string()) return false;
  out.id.assign(id->as_string().data(), id->as_string().size());
  out.name.assign(job->as_string().data(), job->as_string().size());
  out.options.priority = 0;
  if (const auto* p = object->if_contains("priority")) {
    if (!p->is_int64()) return false;
    out.options.priority = p->as_int64();
  }
  out.options.auto_ack = false;
  if (const auto* a = object->if_contains("auto_ack")) {
    if (!a->is_bool()) return false;
    out.options.auto_ack = a->as_bool();
  }
  out.headers.clear();
  if (const auto* h = object->if_contains("headers")) {
    const auto* headers = h->if_object();
    if (headers == nullptr || !read_headers(*headers, out.headers)) return false;
  }
  out.payload.assign(body.substr(newline + 1));
  return true;
}

}  // namespace coyote::drivers::beanstalk
