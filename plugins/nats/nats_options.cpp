#include "nats/nats_options.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>

namespace coyote::drivers::nats {
namespace {

constexpr std::array<std::string_view, 11> kKnownKeys = {
    "priority",    "prefetch",   "subject",  "stream",           "consumer",
    "deliver_new", "rate_limit", "ack_wait", "delete_after_ack", "delete_stream_on_stop",
    "pool"};

bool known_key(std::string_view key) {
  return std::find(kKnownKeys.begin(), kKnownKeys.end(), key) != kKnownKeys.end();
}

/// Go's time.ParseDuration subset RoadRunner configs use: "90", "30s", "1m30s", "500ms", "2.5s".
/// A bare number means seconds (RoadRunner's Pipeline.Int for declared pipelines).
bool parse_duration(std::string_view text, std::chrono::milliseconds& out) {
  if (text.empty()) return false;
  std::int64_t whole = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), whole);
  if (ec == std::errc{} && end == text.data() + text.size()) {
    out = std::chrono::seconds{whole};
    return true;
  }
  double total_ms = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    if (start == i) return false;
    double value = 0;
    try {
      value = std::stod(std::string(text.substr(start, i - start)));
    } catch (const std::exception&) {
      return false;
    }
    std::size_t unit_start = i;
    while (i < text.size() && !((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    double scale = 0;
    if (unit == "ns") {
      scale = 1e-6;
    } else if (unit == "us" || unit == "µs") {
      scale = 1e-3;
    } else if (unit == "ms") {
      scale = 1;
    } else if (unit == "s") {
      scale = 1e3;
    } else if (unit == "m") {
      scale = 60e3;
    } else if (unit == "h") {
      scale = 3600e3;
    } else {
      return false;
    }
    total_ms += value * scale;
  }
  out = std::chrono::milliseconds{static_cast<std::int64_t>(total_ms)};
  return true;
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

/// Checks shared by both paths; `fail` throws the path's own error type.
template <typename Fail>
void validate(NatsOptions& o, Fail fail) {
  if (auto why = check_publish_subject(o.subject); !why.empty()) {
    fail("subject", "subject " + quoted(o.subject) + " " + why +
                        " (pushes publish to it; default \"default\")");
  }
  if (auto why = check_name(o.stream); !why.empty()) {
    fail("stream", "stream " + quoted(o.stream) + " " + why + " (default \"default-stream\")");
  }
  if (o.consumer.empty()) o.consumer = default_consumer_name(o.pipeline);
  if (auto why = check_name(o.consumer); !why.empty()) {
    fail("consumer", "consumer " + quoted(o.consumer) + " " + why +
                         " (the durable consumer every host of the pipeline shares)");
  }
  if (o.prefetch <= 0) {
    fail("prefetch",
         "prefetch must be a positive number of jobs, got " + std::to_string(o.prefetch));
  }
  if (o.rate_limit < 0) {
    fail("rate_limit", "rate_limit must not be negative, got " + std::to_string(o.rate_limit));
  }
  if (o.ack_wait < kMinAckWait) {
    fail("ack_wait",
         "ack_wait must be at least 1s (JetStream redelivers a job nobody "
         "acknowledged after it), got " +
             std::to_string(o.ack_wait.count()) + "ms");
  }
  if (o.address.empty()) fail("addr", "nats.addr is empty; set it to nats://host:4222");
}

void read_global(const sdk::Config& config, NatsOptions& o) {
  o.address = config.string_or("nats.addr", std::string(kDefaultAddress));
  o.publish_timeout = config.duration_or("jobs.timeout", std::chrono::seconds{60});
  if (o.publish_timeout.count() <= 0) o.publish_timeout = std::chrono::seconds{60};
}

}  // namespace

NatsOptions options_from_config(const sdk::Config& config, std::string_view config_key,
                                const sdk::Pipeline& pipeline) {
  NatsOptions o;
  o.pipeline = pipeline.name();
  o.priority = pipeline.priority();
  read_global(config, o);
  const std::string base(config_key);
  auto key = [&](std::string_view k) { return base + "." + std::string(k); };
  o.subject = config.string_or(key("subject"), o.subject);
  if (o.subject.empty()) o.subject = kDefaultSubject;
  o.stream = config.string_or(key("stream"), o.stream);
  if (o.stream.empty()) o.stream = kDefaultStream;
  o.consumer = config.string_or(key("consumer"), "");
  // RoadRunner's InitDefault turns 0 into the default; a negative value is an error here.
  o.prefetch = config.integer_or(key("prefetch"), kDefaultPrefetchFile);
  if (o.prefetch == 0) o.prefetch = kDefaultPrefetchFile;
  o.rate_limit = config.integer_or(key("rate_limit"), kDefaultRateLimit);
  if (o.rate_limit == 0) o.rate_limit = kDefaultRateLimit;
  o.deliver_new = config.boolean_or(key("deliver_new"), false);
  o.delete_after_ack = config.boolean_or(key("delete_after_ack"), false);
  o.delete_stream_on_stop = config.boolean_or(key("delete_stream_on_stop"), false);
  o.ack_wait = config.duration_or(key("ack_wait"), kDefaultAckWait);
  if (o.ack_wait.count() == 0) o.ack_wait = kDefaultAckWait;
  for (const auto& k : config.keys(base)) {
    if (!known_key(k)) o.unknown_keys.push_back(k);
  }
  validate(o, [&](std::string_view k, const std::string& problem) {
    throw config.error_at(k == "addr" ? std::string("nats.addr") : key(k), problem);
  });
  return o;
}

NatsOptions options_from_pipeline(const sdk::Config& config, const sdk::Pipeline& pipeline) {
  NatsOptions o;
  o.pipeline = pipeline.name();
  o.priority = pipeline.priority();
  read_global(config, o);
  auto fail = [&](std::string_view k, const std::string& problem) {
    throw std::invalid_argument("nats pipeline " + pipeline.name() + ": " + std::string(k) + ": " +
                                problem);
  };
  auto integer = [&](std::string_view k, std::int64_t fallback) {
    const std::string text = pipeline.string(k);
    if (text.empty()) return fallback;
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size()) {
      fail(k, "expected an integer, got " + quoted(text));
    }
    return v;
  };
  auto boolean = [&](std::string_view k, bool fallback) {
    const std::string text = pipeline.string(k);
    if (text.empty()) return fallback;
    if (text == "true") return true;
    if (text == "false") return false;
    fail(k, R"(expected "true" or "false", got )" + quoted(text));
    return fallback;
  };
  o.subject = pipeline.string("subject", std::string(kDefaultSubject));
  o.stream = pipeline.string("stream", std::string(kDefaultStream));
  o.consumer = pipeline.string("consumer");
  o.prefetch = integer("prefetch", kDefaultPrefetchDeclared);
  o.rate_limit = integer("rate_limit", kDefaultRateLimit);
  o.deliver_new = boolean("deliver_new", false);
  o.delete_after_ack = boolean("delete_after_ack", false);
  o.delete_stream_on_stop = boolean("delete_stream_on_stop", false);
  if (const std::string text = pipeline.string("ack_wait"); !text.empty()) {
    if (!parse_duration(text, o.ack_wait)) {
      fail("ack_wait", R"(expected seconds ("30") or a duration ("30s"), got )" + quoted(text));
    }
  }
  validate(o, fail);
  return o;
}

std::string check_name(std::string_view name) {
  if (name.empty()) return "is empty";
  for (char c : name) {
    if (c == '.' || c == '*' || c == '>' || c == '/' || c == '\\' || c == ' ' || c == '\t' ||
        c == '\r' || c == '\n' || static_cast<unsigned char>(c) < 0x20) {
      return std::string("contains '") + (c == '\t' ? std::string("\\t") : std::string(1, c)) +
             "', which JetStream names may not hold ('.', '*', '>', '/', '\\', whitespace)";
    }
  }
  if (name.size() > 255) return "is longer than 255 characters";
  return {};
}

std::string check_publish_subject(std::string_view subject) {
  if (subject.empty()) return "is empty";
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = subject.find('.', start);
    const std::string_view token =
        subject.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (token.empty()) return "has an empty token (a leading, trailing or double '.')";
    if (token == "*" || token == ">") {
      return "is a wildcard; pushes need one concrete subject (no '*' or '>')";
    }
    for (char c : token) {
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return "contains whitespace";
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return {};
}

std::string default_consumer_name(std::string_view pipeline) {
  std::string out = "coyote-";
  for (char c : pipeline) {
    const bool bad = c == '.' || c == '*' || c == '>' || c == '/' || c == '\\' ||
                     static_cast<unsigned char>(c) <= 0x20;
    out.push_back(bad ? '_' : c);
  }
  return out;
}

bool subject_matches(std::string_view pattern, std::string_view subject) {
  std::size_t p = 0;
  std::size_t s = 0;
  while (true) {
    const std::size_t pd = pattern.find('.', p);
    const std::size_t sd = subject.find('.', s);
    const std::string_view pt =
        pattern.substr(p, pd == std::string_view::npos ? std::string_view::npos : pd - p);
    if (pt == ">") return s <= subject.size();
    const std::string_view st =
        subject.substr(s, sd == std::string_view::npos ? std::string_view::npos : sd - s);
    if (pt != "*" && pt != st) return false;
    if (pd == std::string_view::npos || sd == std::string_view::npos) {
      return pd == std::string_view::npos && sd == std::string_view::npos;
    }
    p = pd + 1;
    s = sd + 1;
  }
}

}  // namespace coyote::drivers::nats
