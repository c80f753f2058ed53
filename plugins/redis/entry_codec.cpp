#include "redis/entry_codec.hpp"

#include "redis/headers_json.hpp"

#include <coyote/sdk/headers.hpp>
#include <coyote/sdk/json_text.hpp>

#include <charconv>

namespace coyote::drivers::redis {
namespace {

bool parse_int(std::string_view text, std::int64_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

Fields encode_entry(const sdk::Message& message) {
  Fields out;
  out.reserve(14);
  out.emplace_back(field::kId);
  out.push_back(message.id);
  out.emplace_back(field::kJob);
  out.push_back(message.name);
  out.emplace_back(field::kPayload);
  out.push_back(message.payload);
  std::int64_t attempt = 1;
  const sdk::Headers* headers = &message.headers;
  sdk::Headers without_attempt;
  if (auto it = message.headers.find(sdk::kAttemptHeader); it != message.headers.end()) {
    if (!it->second.empty()) {
      std::int64_t n = 0;
      if (parse_int(it->second.front(), n) && n > 1) attempt = n;
    }
    without_attempt = message.headers;
    without_attempt.erase(std::string(sdk::kAttemptHeader));
    headers = &without_attempt;
  }
  if (!headers->empty()) {
    out.emplace_back(field::kHeaders);
    std::string json;
    sdk::json_text::append_headers(json, *headers);
    out.push_back(std::move(json));
  }
  if (message.options.priority != 0) {
    out.emplace_back(field::kPriority);
    out.push_back(std::to_string(message.options.priority));
  }
  if (attempt > 1) {
    out.emplace_back(field::kAttempt);
    out.push_back(std::to_string(attempt));
  }
  if (message.options.auto_ack) {
    out.emplace_back(field::kAutoAck);
    out.emplace_back("1");
  }
  return out;
}

DecodedEntry decode_entry(std::string_view entry_id,
                          std::span<const std::pair<std::string_view, std::string_view>> fields,
                          std::string_view pipeline, std::int64_t pipeline_priority) {
  DecodedEntry out;
  sdk::Message& m = out.message;
  bool has_id = false;
  std::int64_t priority = 0;
  for (const auto& [name, value] : fields) {
    if (name == field::kId) {
      m.id = std::string(value);
      has_id = true;
    } else if (name == field::kJob) {
      m.name = std::string(value);
    } else if (name == field::kPayload) {
      m.payload = std::string(value);
    } else if (name == field::kHeaders) {
      std::string error;
      if (!parse_headers_json(value, m.headers, error)) {
        m.headers.clear();
        out.warnings.push_back("field headers is not a JSON object of string arrays (" + error +
                               "); delivered without headers");
      }
    } else if (name == field::kPriority) {
      if (!parse_int(value, priority)) {
        priority = 0;
        out.warnings.push_back("field priority \"" + std::string(value.substr(0, 40)) +
                               "\" is not an integer; the pipeline's priority is used");
      }
    } else if (name == field::kAttempt) {
      std::int64_t n = 0;
      if (parse_int(value, n) && n >= 1) {
        out.attempt = n;
      } else {
        out.warnings.push_back("field attempt \"" + std::string(value.substr(0, 40)) +
                               "\" is not a positive integer; counted as 1");
      }
    } else if (name == field::kAutoAck) {
      out.auto_ack = value == "1" || value == "true";
    }
  }
  if (!has_id) m.id = std::string(entry_id);
  // The attempt field is the truth; a header of the same name written by hand is replaced.
  m.headers.erase(std::string(sdk::kAttemptHeader));
  if (out.attempt > 1) {
    m.headers.insert_or_assign(std::string(sdk::kAttemptHeader),
                               std::vector<std::string>{std::to_string(out.attempt)});
  }
  m.options.pipeline = std::string(pipeline);
  m.options.priority = priority != 0 ? priority : pipeline_priority;
  m.options.auto_ack = out.auto_ack;
  return out;
}

}  // namespace coyote::drivers::redis
