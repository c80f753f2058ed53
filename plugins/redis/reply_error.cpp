#include "redis/reply_error.hpp"

namespace coyote::drivers::redis {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

}  // namespace

std::string explain_error(std::string_view redis_error, const ErrorContext& context) {
  std::string out = "redis: ";
  out.append(redis_error);
  const std::string where =
      context.address.empty() ? std::string("the server") : std::string(context.address);
  auto hint = [&out](const std::string& text) { out.append(" — ").append(text); };
  if (starts_with(redis_error, "WRONGTYPE")) {
    std::string text = "the key ";
    text += context.stream.empty() ? std::string("of this pipeline") : quoted(context.stream);
    text += " exists and is not a stream (or its delayed set ";
    text += context.stream.empty() ? std::string("<stream>:delayed")
                                   : quoted(std::string(context.stream) + ":delayed");
    text += " is not a sorted set): set another `stream` for pipeline ";
    text += context.pipeline.empty() ? std::string("<name>") : quoted(context.pipeline);
    text += " or delete that key";
    hint(text);
  } else if (starts_with(redis_error, "READONLY")) {
    hint(where +
         " is a read-only replica: point redis.addr at the primary (the driver keeps "
         "retrying, so a promoted replica is picked up by itself)");
  } else if (starts_with(redis_error, "OOM")) {
    hint(
        "Redis reached maxmemory and refuses new writes: raise maxmemory, let the consumers "
        "drain the stream, or trim it (pipeline `maxlen`); use maxmemory-policy noeviction so "
        "that Redis never evicts queued jobs");
  } else if (starts_with(redis_error, "NOAUTH")) {
    hint(where + " requires a password: set redis.password (and redis.username for an ACL user)");
  } else if (starts_with(redis_error, "WRONGPASS") ||
             starts_with(redis_error, "ERR invalid password") ||
             starts_with(redis_error, "ERR AUTH")) {
    hint("authentication failed at " + where +
         ": check redis.password and redis.username (or the user:password in redis.addr)");
  } else if (starts_with(redis_error, "NOPERM")) {
    hint(
        "the ACL user lacks a permission: it needs the commands +@stream +@sortedset "
        "+@scripting +@connection +info and the keys of the pipeline's stream (~<stream>*)");
  } else if (starts_with(redis_error, "LOADING")) {
    hint("Redis is loading its data after a restart; retrying");
  } else if (starts_with(redis_error, "ERR unknown command") ||
             starts_with(redis_error, "ERR Unknown XINFO") ||
             starts_with(redis_error, "ERR syntax error")) {
    hint("this driver needs Redis 6.2 or newer (XAUTOCLAIM, XPENDING with IDLE)");
  } else if (starts_with(redis_error, "NOGROUP")) {
    hint("the consumer group is gone (the stream was deleted?); it is created again");
  } else if (starts_with(redis_error, "ERR DB index is out of range")) {
    hint("redis.db is larger than the server's `databases` setting");
  }
  return out;
}

}  // namespace coyote::drivers::redis
