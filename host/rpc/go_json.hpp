// Decoding helpers that follow Go encoding/json's rules (case-insensitive keys, null = zero value,
// unknown keys ignored), so JSON-codec clients see the behaviour RoadRunner's codec gives them.
#pragma once

#include <coyote/sdk/status.hpp>

#include <boost/json/fwd.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace coyote::host::rpc::go_json {

/// An empty (or all-whitespace) body parses to null: the zero value of whatever was expected.
[[nodiscard]] sdk::Status parse(std::string_view body, boost::json::value& out);

/// The member named `name`: an exact match first, then a case-insensitive one (as Go does).
[[nodiscard]] const boost::json::value* field(const boost::json::object& object,
                                              std::string_view name);

/// Each getter leaves `out` unchanged for a missing field or null; `where` names the field
/// ("Job.options.priority") in the error text.
[[nodiscard]] sdk::Status get(const boost::json::value* v, std::string& out,
                              std::string_view where);
[[nodiscard]] sdk::Status get(const boost::json::value* v, std::int64_t& out,
                              std::string_view where);
[[nodiscard]] sdk::Status get(const boost::json::value* v, std::int32_t& out,
                              std::string_view where);
[[nodiscard]] sdk::Status get(const boost::json::value* v, std::uint64_t& out,
                              std::string_view where);
[[nodiscard]] sdk::Status get(const boost::json::value* v, bool& out, std::string_view where);

/// An object (or null/missing → nullptr with ok status); anything else is a type error.
[[nodiscard]] sdk::Status get_object(const boost::json::value* v, const boost::json::object*& out,
                                     std::string_view where);
[[nodiscard]] sdk::Status get_array(const boost::json::value* v, const boost::json::array*& out,
                                    std::string_view where);

/// Go's text for a type mismatch: "json: cannot unmarshal string into Go struct field X of type Y".
[[nodiscard]] sdk::Status type_error(const boost::json::value& v, std::string_view where,
                                     std::string_view go_type);

/// `text` as a JSON string literal.
[[nodiscard]] std::string quote(std::string_view text);

}  // namespace coyote::host::rpc::go_json
