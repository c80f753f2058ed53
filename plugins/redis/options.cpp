#include "redis/options.hpp"

#include "redis/duration_text.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <functional>
#include <optional>
#include <stdexcept>

namespace coyote::drivers::redis {
namespace {

constexpr std::array<std::string_view, 11> kGlobalKeys = {
    "addr",       "username",        "password",        "db",
    "pool_size",  "connect_timeout", "command_timeout", "reconnect_max",
    "delay_poll", "wait_replicas",   "wait_timeout"};

constexpr std::array<std::string_view, 10> kPipelineKeys = {
    "stream", "group",        "consumer",   "prefetch",      "priority",
    "maxlen", "maxlen_exact", "claim_idle", "delete_on_ack", "pool"};

template <std::size_t N>
bool known(const std::array<std::string_view, N>& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

template <std::size_t N>
std::string join(const std::array<std::string_view, N>& keys) {
  std::string out;
  for (auto k : keys) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

bool parse_int(std::string_view text, std::int64_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

std::string dotted(std::string_view base, std::string_view key) {
  std::string out(base);
  out += ".";
  out += key;
  return out;
}

/// A key that may be written as a YAML duration or as a number of seconds.
std::optional<milliseconds> duration_at(const sdk::Config& config, const std::string& key) {
  if (!config.has(key)) return std::nullopt;
  if (auto text = config.text(key)) {
    if (auto d = parse_duration_text(*text)) return d;
  }
  throw config.error_at(key,
                        "expected a duration such as 30s, 500ms or 1m (a bare number is "
                        "seconds), got \"" +
                            config.text(key).value_or("?") + "\"");
}

std::optional<std::int64_t> integer_at(const sdk::Config& config, const std::string& key) {
  if (!config.has(key)) return std::nullopt;
  std::int64_t value = 0;
  if (auto text = config.text(key); text && parse_int(*text, value)) return value;
  throw config.error_at(key, "expected an integer, got \"" + config.text(key).value_or("?") + "\"");
}

std::optional<bool> boolean_at(const sdk::Config& config, const std::string& key) {
  if (!config.has(key)) return std::nullopt;
  const auto text = config.text(key).value_or("");
  if (text == "true") return true;
  if (text == "false") return false;
  throw config.error_at(key, "expected true or false, got \"" + text + "\"");
}

void check_stream_options(StreamOptions& o,
                          const std::function<void(std::string_view, const std::string&)>& bad) {
  if (o.stream.empty()) o.stream = o.pipeline;
  o.delayed_key = o.stream + ":delayed";
  if (o.group.empty()) o.group = "coyote:" + o.pipeline;
  if (o.consumer.empty()) o.consumer = default_consumer_name();
  if (o.prefetch <= 0 || o.prefetch > 1'000'000) {
    bad("prefetch", "prefetch must be a number of jobs from 1 to 1000000 (default 100), got " +
                        std::to_string(o.prefetch));
  }
  if (o.maxlen < 0) {
    bad("maxlen", "maxlen must be 0 (never trim, the default) or a number of entries, got " +
                      std::to_string(o.maxlen));
  }
  if (o.claim_idle < milliseconds(1000)) {
    bad("claim_idle", "claim_idle must be at least 1s (default 30s), got " +
                          std::to_string(o.claim_idle.count()) + "ms");
  }
}

}  // namespace

std::string default_consumer_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, 8, "host");
  return std::string(host) + ":" + std::to_string(::getpid());
}

ClientOptions ClientOptions::from_config(const sdk::Config& config) {
  ClientOptions o;
  for (const auto& key : config.keys("redis")) {
    if (!known(kGlobalKeys, key)) {
      throw config.error_at("redis." + key,
                            "unknown key; the redis section takes " + join(kGlobalKeys));
    }
  }
  const std::string addr = config.text("redis.addr").value_or("redis://127.0.0.1:6379");
  auto endpoint = parse_endpoint(addr);
  if (!endpoint) throw config.error_at("redis.addr", endpoint.error());
  o.endpoint = std::move(*endpoint);
  if (auto user = config.text("redis.username")) o.endpoint.username = *user;
  if (auto pass = config.text("redis.password")) o.endpoint.password = *pass;
  if (auto db = integer_at(config, "redis.db")) {
    if (*db < 0) throw config.error_at("redis.db", "db must be 0 or more");
    o.endpoint.db = *db;
  }
  if (auto n = integer_at(config, "redis.pool_size")) {
    if (*n < 1 || *n > 64) {
      throw config.error_at("redis.pool_size", "pool_size must be from 1 to 64 (default 1), got " +
                                                   std::to_string(*n));
    }
    o.pool_size = static_cast<int>(*n);
  }
  if (auto d = duration_at(config, "redis.connect_timeout")) o.connect_timeout = *d;
  if (auto d = duration_at(config, "redis.command_timeout")) o.command_timeout = *d;
  if (auto d = duration_at(config, "redis.reconnect_max")) o.reconnect_max = *d;
  if (auto d = duration_at(config, "redis.delay_poll")) o.delay_poll = *d;
  if (auto n = integer_at(config, "redis.wait_replicas")) {
    if (*n < 0) throw config.error_at("redis.wait_replicas", "wait_replicas must be 0 or more");
    o.wait_replicas = *n;
  }
  if (auto d = duration_at(config, "redis.wait_timeout")) o.wait_timeout = *d;
  auto at_least = [&](const char* key, milliseconds value, milliseconds min) {
    if (value < min) {
      throw config.error_at(std::string("redis.") + key,
                            std::string(key) + " must be at least " + std::to_string(min.count()) +
                                "ms, got " + std::to_string(value.count()) + "ms");
    }
  };
  at_least("connect_timeout", o.connect_timeout, milliseconds(100));
  at_least("command_timeout", o.command_timeout, milliseconds(500));
  at_least("reconnect_max", o.reconnect_max, milliseconds(100));
  at_least("delay_poll", o.delay_poll, milliseconds(100));
  at_least("wait_timeout", o.wait_timeout, milliseconds(1));
  return o;
}

StreamOptions StreamOptions::from_config(const sdk::Config& config, std::string_view config_key,
                                         const sdk::Pipeline& pipeline) {
  for (const auto& key : config.keys(config_key)) {
    if (!known(kPipelineKeys, key)) {
      throw config.error_at(dotted(config_key, key),
                            "unknown key for a redis pipeline; it takes " + join(kPipelineKeys));
    }
  }
  StreamOptions o;
  o.pipeline = pipeline.name();
  o.priority = pipeline.priority();
  auto text = [&](std::string_view key) { return config.text(dotted(config_key, key)); };
  if (auto v = text("stream")) o.stream = *v;
  if (auto v = text("group")) o.group = *v;
  if (auto v = text("consumer")) o.consumer = *v;
  if (auto v = integer_at(config, dotted(config_key, "prefetch"))) o.prefetch = *v;
  if (auto v = integer_at(config, dotted(config_key, "maxlen"))) o.maxlen = *v;
  if (auto v = boolean_at(config, dotted(config_key, "maxlen_exact"))) o.maxlen_exact = *v;
  if (auto v = duration_at(config, dotted(config_key, "claim_idle"))) o.claim_idle = *v;
  if (auto v = boolean_at(config, dotted(config_key, "delete_on_ack"))) o.delete_on_ack = *v;
  check_stream_options(o, [&](std::string_view key, const std::string& problem) {
    throw config.error_at(dotted(config_key, key), problem);
  });
  return o;
}

StreamOptions StreamOptions::from_pipeline(const sdk::Pipeline& pipeline, sdk::Logger& log) {
  StreamOptions o;
  o.pipeline = pipeline.name();
  o.priority = pipeline.priority();
  auto bad = [&](std::string_view key, const std::string& problem) {
    throw std::invalid_argument("redis pipeline " + pipeline.name() + ": " + std::string(key) +
                                ": " + problem);
  };
  for (const auto& [key, value] : pipeline.options()) {
    if (key == "stream") {
      o.stream = value;
    } else if (key == "group") {
      o.group = value;
    } else if (key == "consumer") {
      o.consumer = value;
    } else if (key == "prefetch" || key == "maxlen") {
      std::int64_t n = 0;
      if (!parse_int(value, n)) bad(key, "expected an integer, got \"" + value + "\"");
      (key == "prefetch" ? o.prefetch : o.maxlen) = n;
    } else if (key == "maxlen_exact" || key == "delete_on_ack") {
      if (value != "true" && value != "false") {
        bad(key, R"(expected "true" or "false", got ")" + value + "\"");
      }
      (key == "maxlen_exact" ? o.maxlen_exact : o.delete_on_ack) = value == "true";
    } else if (key == "claim_idle") {
      auto d = parse_duration_text(value);
      if (!d)
        bad(key, "expected a duration such as 30s or a number of seconds, got \"" + value + "\"");
      o.claim_idle = *d;
    } else if (key == "name" || key == "driver" || key == "priority" || key == "pool" ||
               key == "queue" || key == "dead_letter" || key.rfind("retry.", 0) == 0) {
      // The host's keys.
    } else {
      log.warn("redis pipeline " + pipeline.name() + ": option \"" + key +
               "\" is not a redis driver option; ignored (options: " + join(kPipelineKeys) + ")");
    }
  }
  check_stream_options(o, bad);
  return o;
}

}  // namespace coyote::drivers::redis
