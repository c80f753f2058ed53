#include "amqp/wire_format.hpp"

#include "amqp/amqp_settings.hpp"

#include <coyote/sdk/json_text.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>

// rabbitmq-c's field values are C unions tagged by `kind`: every access below checks the kind.
// NOLINTBEGIN(cppcoreguidelines-pro-type-union-access)
namespace coyote::drivers::amqp {

namespace {

/// Deeper nesting than this in a header table is ignored: RabbitMQ never produces it and a
/// hostile peer could otherwise exhaust the stack.
constexpr int kMaxDepth = 32;

bool is_rr_key(std::string_view key) {
  return key == kRrId || key == kRrJob || key == kRrPipeline || key == kRrHeaders ||
         key == kRrDelay || key == kRrPriority || key == kRrAutoAck;
}

std::optional<std::int64_t> integer_of(const amqp_field_value_t& v) {
  switch (v.kind) {
    case AMQP_FIELD_KIND_I8:
      return v.value.i8;
    case AMQP_FIELD_KIND_U8:
      return v.value.u8;
    case AMQP_FIELD_KIND_I16:
      return v.value.i16;
    case AMQP_FIELD_KIND_U16:
      return v.value.u16;
    case AMQP_FIELD_KIND_I32:
      return v.value.i32;
    case AMQP_FIELD_KIND_U32:
      return v.value.u32;
    case AMQP_FIELD_KIND_I64:
      return v.value.i64;
    case AMQP_FIELD_KIND_U64:
      if (v.value.u64 > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
      return static_cast<std::int64_t>(v.value.u64);
    default:
      return std::nullopt;
  }
}

/// Length of the valid UTF-8 sequence at s[i], or 0 (RFC 3629: no overlongs, no surrogates).
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  const std::size_t left = s.size() - i;
  const auto cont = [&](std::size_t k) { return k < left && (b(k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
    if (c == 0xED && b(1) > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && b(1) > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

std::optional<std::string_view> string_of(const amqp_field_value_t& v) {
  if (v.kind == AMQP_FIELD_KIND_UTF8 || v.kind == AMQP_FIELD_KIND_BYTES) {
    return view_of(v.value.bytes);
  }
  return std::nullopt;
}

std::string format_fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string rfc3339(std::uint64_t seconds) {
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(seconds);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void convert_value(const std::string& key, const amqp_field_value_t& v, sdk::Headers& out,
                   std::vector<std::string>& warnings, int depth);

void convert_table(const amqp_table_t& table, sdk::Headers& out, std::vector<std::string>& warnings,
                   int depth) {
  if (depth > kMaxDepth) {
    warnings.push_back("header table nested deeper than " + std::to_string(kMaxDepth) +
                       " levels, the rest ignored");
    return;
  }
  for (int i = 0; i < table.num_entries; ++i) {
    const amqp_table_entry_t& e = table.entries[i];
    convert_value(valid_utf8(view_of(e.key)), e.value, out, warnings, depth);
  }
}

void convert_value(const std::string& key, const amqp_field_value_t& v, sdk::Headers& out,
                   std::vector<std::string>& warnings, int depth) {
  if (auto i = integer_of(v)) {
    out[key].push_back(std::to_string(*i));
    return;
  }
  switch (v.kind) {
    case AMQP_FIELD_KIND_U64:  // above INT64_MAX
      out[key].push_back(std::to_string(v.value.u64));
      return;
    case AMQP_FIELD_KIND_F32:
      out[key].push_back(format_fixed(v.value.f32, 5));
      return;
    case AMQP_FIELD_KIND_F64:
      out[key].push_back(format_fixed(v.value.f64, 5));
      return;
    case AMQP_FIELD_KIND_UTF8:
    case AMQP_FIELD_KIND_BYTES:
      out[key].push_back(valid_utf8(view_of(v.value.bytes)));
      return;
    case AMQP_FIELD_KIND_BOOLEAN:
      out[key] = {v.value.boolean != 0 ? "true" : "false"};
      return;
    case AMQP_FIELD_KIND_ARRAY:
      if (depth >= kMaxDepth) {
        warnings.push_back("header " + key + ": array nested too deeply, ignored");
        return;
      }
      for (int i = 0; i < v.value.array.num_entries; ++i) {
        convert_value(key, v.value.array.entries[i], out, warnings, depth + 1);
      }
      return;
    case AMQP_FIELD_KIND_TABLE:
      // RoadRunner flattens a nested table: its keys become top-level headers.
      convert_table(v.value.table, out, warnings, depth + 1);
      return;
    case AMQP_FIELD_KIND_DECIMAL: {
      const int scale = v.value.decimal.decimals;
      const auto raw = static_cast<std::int32_t>(v.value.decimal.value);
      out[key].push_back(format_fixed(raw / std::pow(10.0, scale), scale));
      return;
    }
    case AMQP_FIELD_KIND_TIMESTAMP:
      out[key].push_back(rfc3339(v.value.u64));
      return;
    default:
      warnings.push_back("header " + key + ": value of AMQP type '" +
                         std::string(1, static_cast<char>(v.kind)) + "' ignored");
      return;
  }
}

/// rr_headers: a JSON object of string arrays, merged key by key over the converted headers.
void merge_rr_headers(std::string_view json, sdk::Headers& out,
                      std::vector<std::string>& warnings) {
  if (json == "{}" || json == "null") return;  // most jobs carry no headers: skip the parser
  boost::json::error_code ec;
  boost::json::parse_options options;
  options.allow_invalid_utf8 = true;  // Go's decoder accepts it too; valid_utf8 repairs it below
  const boost::json::value v = boost::json::parse(json, ec, {}, options);
  if (ec || !(v.is_object() || v.is_null())) {
    warnings.push_back("rr_headers is not a JSON object of string lists, ignored (" +
                       (ec ? ec.message() : std::string("not an object")) + ")");
    return;
  }
  if (v.is_null()) return;  // Go marshals a nil map as null
  for (const auto& [k, value] : v.get_object()) {
    std::vector<std::string> values;
    if (value.is_array()) {
      for (const auto& item : value.get_array()) {
        if (item.is_string()) {
          values.push_back(valid_utf8(item.get_string()));
        } else {
          warnings.push_back("rr_headers." + std::string(k) + ": non-string value ignored");
        }
      }
    } else if (!value.is_null()) {
      warnings.push_back("rr_headers." + std::string(k) + ": not a list of strings, ignored");
      continue;
    }
    out.insert_or_assign(valid_utf8(k), std::move(values));
  }
}

}  // namespace

std::string valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {  // the common case: already valid, one pass, no copy until needed
    const std::size_t n = utf8_length(text, i);
    if (n == 0) break;
    i += n;
  }
  if (i == text.size()) return std::string(text);
  std::string out(text.substr(0, i));
  while (i < text.size()) {
    const std::size_t n = utf8_length(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

void convert_headers(const amqp_table_t& table, sdk::Headers& out,
                     std::vector<std::string>& warnings) {
  convert_table(table, out, warnings, 0);
}

DecodedJob decode_properties(const amqp_basic_properties_t& properties,
                             std::int64_t pipeline_priority) {
  DecodedJob d;
  d.message.options.priority = pipeline_priority;
  const bool has_table = (properties._flags & AMQP_BASIC_HEADERS_FLAG) != 0;
  const amqp_table_t empty{0, nullptr};
  const amqp_table_t& table = has_table ? properties.headers : empty;
  convert_table(table, d.message.headers, d.warnings, 0);

  for (int i = 0; i < table.num_entries; ++i) {
    const std::string_view key = view_of(table.entries[i].key);
    const amqp_field_value_t& v = table.entries[i].value;
    if (key == kRrId) {
      if (auto s = string_of(v); s && !s->empty()) {
        d.message.id = valid_utf8(*s);
        d.has_rr_id = true;
      }
    } else if (key == kRrJob) {
      if (auto s = string_of(v); s && !s->empty()) {
        d.message.name = valid_utf8(*s);
        d.has_rr_job = true;
      }
    } else if (key == kRrPipeline) {
      if (auto s = string_of(v)) d.rr_pipeline = valid_utf8(*s);
    } else if (key == kRrHeaders) {
      if (auto s = string_of(v)) {
        merge_rr_headers(*s, d.message.headers, d.warnings);
      } else {
        d.warnings.push_back("rr_headers of AMQP type '" +
                             std::string(1, static_cast<char>(v.kind)) +
                             "' ignored (expected a byte array)");
      }
    } else if (key == kRrDelay) {
      if (auto n = integer_of(v)) {
        d.message.options.delay_seconds = *n;
      } else {
        d.warnings.push_back("rr_delay of AMQP type '" + std::string(1, static_cast<char>(v.kind)) +
                             "' ignored (expected an integer)");
      }
    } else if (key == kRrPriority) {
      if (auto n = integer_of(v)) {
        d.message.options.priority = *n == 0 ? pipeline_priority : *n;
      } else {
        d.warnings.push_back("rr_priority of AMQP type '" +
                             std::string(1, static_cast<char>(v.kind)) +
                             "' ignored (expected an integer); using the pipeline priority");
      }
    } else if (key == kRrAutoAck) {
      if (v.kind == AMQP_FIELD_KIND_BOOLEAN) d.message.options.auto_ack = v.value.boolean != 0;
    }
  }
  if (!d.has_rr_id) d.message.id = new_uuid();
  if (!d.has_rr_job) d.message.name = std::string(kDeducedJobName);
  return d;
}

std::string take_routing_key(sdk::Headers& headers, const std::string& fallback) {
  auto it = headers.find(kRoutingKeyHeader);
  if (it == headers.end()) return fallback;
  std::string out = fallback;
  if (it->second.size() == 1 && !it->second.front().empty()) out = it->second.front();
  headers.erase(it);
  return out;
}

std::string headers_to_json(const sdk::Headers& headers) {
  std::string out;
  out.push_back('{');
  bool first = true;
  for (const auto& [key, values] : headers) {
    if (is_rr_key(key)) continue;
    if (!first) out.push_back(',');
    first = false;
    sdk::json_text::append_string(out, key);
    out += ":[";
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i != 0) out.push_back(',');
      sdk::json_text::append_string(out, values[i]);
    }
    out.push_back(']');
  }
  out.push_back('}');
  return out;
}

OutgoingMessage::OutgoingMessage(const sdk::Message& message, std::string rr_pipeline,
                                 std::int64_t timestamp_seconds)
    : headers_json_(headers_to_json(message.headers)), rr_pipeline_(std::move(rr_pipeline)) {
  auto entry = [](amqp_table_entry_t& e, std::string_view key) { e.key = bytes_of(key); };
  entry(entries_[0], kRrId);
  entries_[0].value.kind = AMQP_FIELD_KIND_UTF8;
  entries_[0].value.value.bytes = bytes_of(message.id);
  entry(entries_[1], kRrJob);
  entries_[1].value.kind = AMQP_FIELD_KIND_UTF8;
  entries_[1].value.value.bytes = bytes_of(message.name);
  entry(entries_[2], kRrPipeline);
  entries_[2].value.kind = AMQP_FIELD_KIND_UTF8;
  entries_[2].value.value.bytes = bytes_of(rr_pipeline_);
  entry(entries_[3], kRrHeaders);
  entries_[3].value.kind = AMQP_FIELD_KIND_BYTES;
  entries_[3].value.value.bytes = bytes_of(headers_json_);
  entry(entries_[4], kRrDelay);
  entries_[4].value.kind = AMQP_FIELD_KIND_I32;
  // Go's int on the wire is 32 bits; a longer delay cannot be expressed (and the delay queue
  // refuses anything near it long before).
  entries_[4].value.value.i32 = static_cast<std::int32_t>(
      std::clamp<std::int64_t>(message.options.delay_seconds, INT32_MIN, INT32_MAX));
  entry(entries_[5], kRrPriority);
  entries_[5].value.kind = AMQP_FIELD_KIND_I64;
  entries_[5].value.value.i64 = message.options.priority;
  entry(entries_[6], kRrAutoAck);
  entries_[6].value.kind = AMQP_FIELD_KIND_BOOLEAN;
  entries_[6].value.value.boolean = message.options.auto_ack ? 1 : 0;

  props_._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
                  AMQP_BASIC_TIMESTAMP_FLAG | AMQP_BASIC_HEADERS_FLAG;
  props_.content_type = bytes_of(kContentType);
  props_.delivery_mode = AMQP_DELIVERY_PERSISTENT;
  props_.timestamp = static_cast<std::uint64_t>(timestamp_seconds);
  props_.headers.num_entries = 7;
  props_.headers.entries = entries_;
  body_ = bytes_of(message.payload);
}

std::string describe_field(const amqp_field_value_t& value) {
  std::string kind(1, static_cast<char>(value.kind));
  if (auto i = integer_of(value)) return kind + ":" + std::to_string(*i);
  if (auto s = string_of(value)) return kind + ":" + std::string(*s);
  if (value.kind == AMQP_FIELD_KIND_BOOLEAN)
    return kind + (value.value.boolean ? ":true" : ":false");
  return kind;
}

}  // namespace coyote::drivers::amqp
// NOLINTEND(cppcoreguidelines-pro-type-union-access)
