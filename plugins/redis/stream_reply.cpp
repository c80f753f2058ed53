#include "redis/stream_reply.hpp"

#include <hiredis/hiredis.h>

#include <charconv>

namespace coyote::drivers::redis {
namespace {

bool is_string(const redisReply* r) {
  return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

std::string_view text_of(const redisReply* r) {
  return r->str == nullptr ? std::string_view{} : std::string_view(r->str, r->len);
}

}  // namespace

std::string_view reply_text(const redisReply* reply) {
  if (reply == nullptr) return {};
  if (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS ||
      reply->type == REDIS_REPLY_ERROR) {
    return text_of(reply);
  }
  return {};
}

std::optional<std::int64_t> reply_integer(const redisReply* reply) {
  if (reply == nullptr) return std::nullopt;
  if (reply->type == REDIS_REPLY_INTEGER) return static_cast<std::int64_t>(reply->integer);
  if (is_string(reply)) {
    const auto text = text_of(reply);
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc{} && end == text.data() + text.size() && !text.empty()) return v;
  }
  return std::nullopt;
}

bool parse_read_reply(const redisReply* reply, std::vector<RawEntry>& out, std::string& error) {
  if (reply == nullptr) {
    error = "no reply";
    return false;
  }
  if (reply->type == REDIS_REPLY_NIL) return true;
  if (reply->type != REDIS_REPLY_ARRAY) {
    error = "XREADGROUP reply is not an array";
    return false;
  }
  for (std::size_t s = 0; s < reply->elements; ++s) {
    const redisReply* stream = reply->element[s];
    if (stream == nullptr || stream->type != REDIS_REPLY_ARRAY || stream->elements != 2 ||
        !is_string(stream->element[0]) || stream->element[1] == nullptr) {
      error = "XREADGROUP reply: a stream element is not [name, entries]";
      return false;
    }
    const redisReply* entries = stream->element[1];
    if (entries->type == REDIS_REPLY_NIL) continue;
    if (entries->type != REDIS_REPLY_ARRAY) {
      error = "XREADGROUP reply: entries are not an array";
      return false;
    }
    for (std::size_t e = 0; e < entries->elements; ++e) {
      const redisReply* entry = entries->element[e];
      if (entry == nullptr || entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
          !is_string(entry->element[0]) || entry->element[1] == nullptr) {
        error = "XREADGROUP reply: an entry is not [id, fields]";
        return false;
      }
      RawEntry raw;
      raw.id = text_of(entry->element[0]);
      const redisReply* fields = entry->element[1];
      if (fields->type == REDIS_REPLY_NIL) {
        raw.deleted = true;
      } else if (fields->type != REDIS_REPLY_ARRAY || fields->elements % 2 != 0) {
        error = "XREADGROUP reply: the fields of entry " + std::string(raw.id) +
                " are not name/value pairs";
        return false;
      } else {
        raw.fields.reserve(fields->elements / 2);
        for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
          if (!is_string(fields->element[f]) || !is_string(fields->element[f + 1])) {
            error =
                "XREADGROUP reply: a field of entry " + std::string(raw.id) + " is not a string";
            return false;
          }
          raw.fields.emplace_back(text_of(fields->element[f]), text_of(fields->element[f + 1]));
        }
      }
      out.push_back(std::move(raw));
    }
  }
  return true;
}

bool parse_group_info(const redisReply* reply, std::string_view group, GroupInfo& out,
                      std::string& error) {
  out = GroupInfo{};
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) {
    error = "XINFO GROUPS reply is not an array";
    return false;
  }
  for (std::size_t g = 0; g < reply->elements; ++g) {
    const redisReply* line = reply->element[g];
    if (line == nullptr || line->type != REDIS_REPLY_ARRAY || line->elements % 2 != 0) {
      error = "XINFO GROUPS reply: a group is not field/value pairs";
      return false;
    }
    bool ours = false;
    GroupInfo info;
    info.found = true;
    for (std::size_t f = 0; f + 1 < line->elements; f += 2) {
      if (!is_string(line->element[f])) continue;
      const auto name = text_of(line->element[f]);
      const redisReply* value = line->element[f + 1];
      if (name == "name") {
        ours = is_string(value) && text_of(value) == group;
      } else if (name == "pending") {
        info.pending = reply_integer(value).value_or(0);
      } else if (name == "lag") {
        info.lag = reply_integer(value);  // nil when Redis cannot tell
      }
    }
    if (ours) {
      out = info;
      return true;
    }
  }
  return true;
}

}  // namespace coyote::drivers::redis
