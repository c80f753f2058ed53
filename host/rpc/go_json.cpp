#include "rpc/go_json.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <limits>

namespace coyote::host::rpc::go_json {
namespace json = boost::json;
namespace {

std::string_view kind_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "bool";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "value";
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

template <typename Int>
sdk::Status get_integer(const json::value* v, Int& out, std::string_view where,
                        std::string_view go_type) {
  if (v == nullptr || v->is_null()) return sdk::Status::ok();
  if (v->is_int64()) {
    const std::int64_t x = v->get_int64();
    if constexpr (std::is_signed_v<Int>) {
      if (x >= std::numeric_limits<Int>::min() && x <= std::numeric_limits<Int>::max()) {
        out = static_cast<Int>(x);
        return sdk::Status::ok();
      }
    } else {
      if (x >= 0) {
        out = static_cast<Int>(x);
        return sdk::Status::ok();
      }
    }
  } else if (v->is_uint64()) {
    const std::uint64_t x = v->get_uint64();
    if (x <= static_cast<std::uint64_t>(std::numeric_limits<Int>::max())) {
      out = static_cast<Int>(x);
      return sdk::Status::ok();
    }
  } else if (v->is_double()) {
    // Go refuses "1.5" or "1e400" for an integer field but accepts "1e3".
    const double d = v->get_double();
    if (std::isfinite(d) && std::trunc(d) == d &&
        d >= static_cast<double>(std::numeric_limits<Int>::min()) &&
        d < static_cast<double>(std::numeric_limits<Int>::max())) {
      out = static_cast<Int>(d);
      return sdk::Status::ok();
    }
  }
  return type_error(*v, where, go_type);
}

}  // namespace

sdk::Status parse(std::string_view body, json::value& out) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    out = nullptr;
    return sdk::Status::ok();
  }
  boost::system::error_code ec;
  out = json::parse(body, ec);
  if (ec) return sdk::Status::error("json: cannot decode the argument: " + ec.message());
  return sdk::Status::ok();
}

const json::value* field(const json::object& object, std::string_view name) {
  if (const auto* it = object.find(name); it != object.end()) return &it->value();
  for (const auto& member : object) {
    if (iequals(member.key(), name)) return &member.value();
  }
  return nullptr;
}

sdk::Status type_error(const json::value& v, std::string_view where, std::string_view go_type) {
  return sdk::Status::error("json: cannot unmarshal " + std::string(kind_name(v)) +
                            " into Go struct field " + std::string(where) + " of type " +
                            std::string(go_type));
}

sdk::Status get(const json::value* v, std::string& out, std::string_view where) {
  if (v == nullptr || v->is_null()) return sdk::Status::ok();
  if (!v->is_string()) return type_error(*v, where, "string");
  out.assign(v->get_string().data(), v->get_string().size());
  return sdk::Status::ok();
}

sdk::Status get(const json::value* v, std::int64_t& out, std::string_view where) {
  return get_integer(v, out, where, "int64");
}
sdk::Status get(const json::value* v, std::int32_t& out, std::string_view where) {
  return get_integer(v, out, where, "int32");
}
sdk::Status get(const json::value* v, std::uint64_t& out, std::string_view where) {
  return get_integer(v, out, where, "uint64");
}

sdk::Status get(const json::value* v, bool& out, std::string_view where) {
  if (v == nullptr || v->is_null()) return sdk::Status::ok();
  if (!v->is_bool()) return type_error(*v, where, "bool");
  out = v->get_bool();
  return sdk::Status::ok();
}

sdk::Status get_object(const json::value* v, const json::object*& out, std::string_view where) {
  out = nullptr;
  if (v == nullptr || v->is_null()) return sdk::Status::ok();
  if (!v->is_object()) return type_error(*v, where, "object");
  out = &v->get_object();
  return sdk::Status::ok();
}

sdk::Status get_array(const json::value* v, const json::array*& out, std::string_view where) {
  out = nullptr;
  if (v == nullptr || v->is_null()) return sdk::Status::ok();
  if (!v->is_array()) return type_error(*v, where, "array");
  out = &v->get_array();
  return sdk::Status::ok();
}

std::string quote(std::string_view text) {
  return json::serialize(json::string_view(text.data(), text.size()));
}

}  // namespace coyote::host::rpc::go_json
