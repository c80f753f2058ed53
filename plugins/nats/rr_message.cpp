#include "nats/rr_message.hpp"

#include <coyote/sdk/json_text.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <charconv>
#include <cstdio>
#include <random>

namespace coyote::drivers::nats {
namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool ascii_iequal(std::string_view a, std::string_view b) {
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

/// Go's encoding/json picks a struct field by exact name first, then case-insensitively.
const boost::json::value* field(const boost::json::object& object, std::string_view name) {
  if (const auto* it = object.find(name); it != object.end()) return &it->value();
  for (const auto& member : object) {
    if (ascii_iequal(member.key(), name)) return &member.value();
  }
  return nullptr;
}

/// The getters follow Go: a missing member or null leaves the zero value; any other JSON type
/// than the field's is an error (which makes RoadRunner treat the whole body as foreign).
bool get_string(const boost::json::value* v, std::string& out) {
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_string()) return false;
  out.assign(v->get_string().data(), v->get_string().size());
  return true;
}

bool get_int(const boost::json::value* v, std::int64_t& out) {
  if (v == nullptr || v->is_null()) return true;
  if (v->is_int64()) {
    out = v->get_int64();
    return true;
  }
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    out = static_cast<std::int64_t>(v->get_uint64());
    return true;
  }
  return false;  // a fraction, an exponent or out of range: Go refuses those for int64
}

bool get_bool(const boost::json::value* v, bool& out) {
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_bool()) return false;
  out = v->get_bool();
  return true;
}

DecodedMessage foreign(std::string_view body, std::string reason, std::string_view pipeline,
                       std::int64_t priority, std::string (*new_id)()) {
  DecodedMessage d;
  d.foreign = true;
  d.foreign_reason = std::move(reason);
  d.message.name = std::string(kForeignJobName);
  d.message.id = new_id != nullptr ? new_id() : random_uuid();
  d.message.payload.assign(body.data(), body.size());
  d.message.options.pipeline = std::string(pipeline);
  d.message.options.priority = priority;
  return d;
}

}  // namespace

std::string encode_body(const sdk::Message& message) {
  std::string out;
  out.reserve(96 + message.name.size() + message.id.size() + message.payload.size() * 4 / 3 +
              message.options.pipeline.size());
  out += "{\"job\":";
  sdk::json_text::append_string(out, message.name);
  out += ",\"id\":";
  sdk::json_text::append_string(out, message.id);
  out += R"(,"payload":")";
  out += base64_encode(message.payload);
  out += R"(","options":{"priority":)";
  out += std::to_string(message.options.priority);
  if (!message.options.pipeline.empty()) {
    out += ",\"pipeline\":";
    sdk::json_text::append_string(out, message.options.pipeline);
  }
  if (message.options.delay_seconds != 0) {
    out += ",\"delay\":";
    out += std::to_string(message.options.delay_seconds);
  }
  out += ",\"auto_ack\":";
  out += message.options.auto_ack ? "true" : "false";
  // Go marshals RR's untagged Options.Queue field under its Go name.
  out += R"(,"Queue":""}})";
  return out;
}

std::vector<std::pair<std::string, std::string>> wire_headers(const sdk::Headers& headers,
                                                              std::vector<std::string>* dropped) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, values] : headers) {
    bool key_ok = !key.empty() && !values.empty();
    for (char c : key) {
      if (c == ':' || static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) key_ok = false;
    }
    if (!key_ok) {
      if (dropped != nullptr) dropped->push_back(key);
      continue;
    }
    for (const auto& value : values) {
      if (value.find_first_of("\r\n") != std::string::npos) {
        if (dropped != nullptr) dropped->push_back(key);
        continue;
      }
      out.emplace_back(key, value);
    }
  }
  return out;
}

DecodedMessage decode_message(std::string_view body,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              std::string_view pipeline, std::int64_t priority,
                              std::string (*new_id)()) {
  auto finish = [&](DecodedMessage d) {
    for (const auto& [key, value] : headers) d.message.headers[key].push_back(value);
    return d;
  };
  boost::system::error_code ec;
  boost::json::value doc =
      boost::json::parse(boost::json::string_view(body.data(), body.size()), ec);
  if (ec) return finish(foreign(body, "not JSON: " + ec.message(), pipeline, priority, new_id));
  if (!doc.is_object()) {
    return finish(foreign(body, "JSON but not an object", pipeline, priority, new_id));
  }
  const auto& object = doc.get_object();
  const auto* job = field(object, "job");
  const auto* id = field(object, "id");
  const auto* payload = field(object, "payload");
  const auto* options = field(object, "options");
  if (job == nullptr && id == nullptr && payload == nullptr) {
    return finish(
        foreign(body, "a JSON object without job, id or payload", pipeline, priority, new_id));
  }
  DecodedMessage d;
  sdk::Message& m = d.message;
  std::string encoded;
  if (!get_string(job, m.name) || !get_string(id, m.id) || !get_string(payload, encoded)) {
    return finish(foreign(body, "job, id or payload is not a string", pipeline, priority, new_id));
  }
  if (!base64_decode(encoded, m.payload)) {
    return finish(foreign(body, "payload is not base64", pipeline, priority, new_id));
  }
  std::int64_t job_priority = 0;
  if (options != nullptr && !options->is_null()) {
    if (!options->is_object()) {
      return finish(foreign(body, "options is not an object", pipeline, priority, new_id));
    }
    const auto& o = options->get_object();
    std::string ignored;
    if (!get_int(field(o, "priority"), job_priority) ||
        !get_int(field(o, "delay"), m.options.delay_seconds) ||
        !get_bool(field(o, "auto_ack"), m.options.auto_ack) ||
        !get_string(field(o, "pipeline"), ignored) || !get_string(field(o, "Queue"), ignored)) {
      return finish(foreign(body, "an option has the wrong JSON type", pipeline, priority, new_id));
    }
  }
  // RoadRunner's consumer files every message under its own pipeline, whatever the producer said.
  m.options.pipeline = std::string(pipeline);
  m.options.priority = job_priority != 0 ? job_priority : priority;
  if (m.options.delay_seconds < 0) m.options.delay_seconds = 0;
  if (m.id.empty()) m.id = new_id != nullptr ? new_id() : random_uuid();
  return finish(std::move(d));
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8) | p[i + 2];
    out.push_back(kBase64Alphabet[(n >> 18) & 63]);
    out.push_back(kBase64Alphabet[(n >> 12) & 63]);
    out.push_back(kBase64Alphabet[(n >> 6) & 63]);
    out.push_back(kBase64Alphabet[n & 63]);
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    std::uint32_t n = std::uint32_t{p[i]} << 16;
    if (rest == 2) n |= std::uint32_t{p[i + 1]} << 8;
    out.push_back(kBase64Alphabet[(n >> 18) & 63]);
    out.push_back(kBase64Alphabet[(n >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64Alphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

bool base64_decode(std::string_view text, std::string& out) {
  static const std::array<std::int8_t, 256> table = [] {
    std::array<std::int8_t, 256> t{};
    t.fill(-1);
    for (std::size_t i = 0; i < kBase64Alphabet.size(); ++i) {
      t[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<std::int8_t>(i);
    }
    return t;
  }();
  out.clear();
  out.reserve(text.size() / 4 * 3);
  std::uint32_t acc = 0;
  int have = 0;  // sextets in acc
  int padding = 0;
  for (char c : text) {
    if (c == '\r' || c == '\n') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0) return false;  // data after padding
    const std::int8_t v = table[static_cast<unsigned char>(c)];
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    if (++have == 4) {
      out.push_back(static_cast<char>((acc >> 16) & 0xff));
      out.push_back(static_cast<char>((acc >> 8) & 0xff));
      out.push_back(static_cast<char>(acc & 0xff));
      acc = 0;
      have = 0;
    }
  }
  // StdEncoding wants whole quanta: 2 or 3 trailing sextets need exactly 2 or 1 '='.
  if (have == 0) return padding == 0;
  if (have == 1) return false;
  if (have + padding != 4) return false;
  // Non-zero trailing bits are accepted: encoding/json uses the non-strict StdEncoding.
  if (have == 2) {
    out.push_back(static_cast<char>((acc >> 4) & 0xff));
  } else {
    out.push_back(static_cast<char>((acc >> 10) & 0xff));
    out.push_back(static_cast<char>((acc >> 2) & 0xff));
  }
  return true;
}

std::string random_uuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::uint64_t hi = (rng() & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  const std::uint64_t lo = (rng() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

std::int64_t unanswered_deliveries(std::uint64_t num_delivered, bool delayed) {
  const std::int64_t early = delayed ? 1 : 0;
  const auto n = static_cast<std::int64_t>(num_delivered > INT64_MAX ? INT64_MAX : num_delivered);
  return n - 1 - early > 0 ? n - 1 - early : 0;
}

void add_attempts(sdk::Headers& headers, std::int64_t extra) {
  if (extra <= 0) return;
  std::int64_t attempt = 1;
  if (auto it = headers.find(sdk::kAttemptHeader); it != headers.end() && !it->second.empty()) {
    const std::string& text = it->second.front();
    std::int64_t parsed = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (ec == std::errc{} && end == text.data() + text.size() && parsed > 0) attempt = parsed;
  }
  headers.insert_or_assign(std::string(sdk::kAttemptHeader),
                           std::vector<std::string>{std::to_string(attempt + extra)});
}

}  // namespace coyote::drivers::nats
