#include "amqp/amqp_settings.hpp"

#include <amqp.h>
#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <stdexcept>

namespace coyote::drivers::amqp {

namespace {

constexpr std::array<std::string_view, 5> kExchangeTypes{"direct", "fanout", "topic", "headers",
                                                         "topics"};

/// Pipeline keys RoadRunner reads (plus the host's own), for unknown-key warnings.
constexpr std::array<std::string_view, 20> kPipelineKeys{"prefetch",
                                                         "priority",
                                                         "queue",
                                                         "exchange",
                                                         "exchange_type",
                                                         "routing_key",
                                                         "exclusive",
                                                         "durable",
                                                         "exchange_durable",
                                                         "exchange_auto_delete",
                                                         "queue_auto_delete",
                                                         "delete_queue_on_stop",
                                                         "multiple_ack",
                                                         "requeue_on_fail",
                                                         "redial_timeout",
                                                         "consumer_id",
                                                         "queue_headers",
                                                         "consume_all",
                                                         "pool",
                                                         "name"};

constexpr std::array<std::string_view, 8> kGlobalKeys{
    "addr",          "tls",    "heartbeat", "connect_timeout", "reconnect_initial",
    "reconnect_max", "driver", "config"};

constexpr std::array<std::string_view, 5> kClientAuthTypes{
    "no_client_cert", "request_client_cert", "require_any_client_cert",
    "verify_client_cert_if_given", "require_and_verify_client_cert"};

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

template <std::size_t N>
std::string unknown_key_note(std::string_view where, std::string_view key,
                             const std::array<std::string_view, N>& known) {
  std::string out = std::string(where) + "." + std::string(key) +
                    ": unknown key, ignored (RoadRunner ignores it too)";
  std::string_view best;
  std::size_t best_distance = 3;
  for (auto k : known) {
    const std::size_t d = edit_distance(key, k);
    if (d < best_distance) {
      best = k;
      best_distance = d;
    }
  }
  if (!best.empty()) out += "; did you mean " + std::string(best) + "?";
  return out;
}

std::string valid_exchange_types_text() { return "direct, fanout, topic (or topics), headers"; }

/// "topics" (PHP's ExchangeType enum) is RabbitMQ's "topic"; x-* are plugin exchange types.
bool normalise_exchange_type(std::string& type) {
  if (type == "topics") type = "topic";
  if (std::find(kExchangeTypes.begin(), kExchangeTypes.end(), type) != kExchangeTypes.end()) {
    return true;
  }
  return type.size() > 2 && type.compare(0, 2, "x-") == 0;
}

FieldValue from_json(const boost::json::value& v, std::string_view key) {
  switch (v.kind()) {
    case boost::json::kind::bool_:
      return FieldValue::of_bool(v.get_bool());
    case boost::json::kind::int64:
      return FieldValue::of_int(v.get_int64());
    case boost::json::kind::uint64:
      if (v.get_uint64() > static_cast<std::uint64_t>(INT64_MAX)) {
        throw std::invalid_argument("queue_headers." + std::string(key) +
                                    ": integer out of the signed 64-bit range");
      }
      return FieldValue::of_int(static_cast<std::int64_t>(v.get_uint64()));
    case boost::json::kind::double_:
      return FieldValue::of_double(v.get_double());
    case boost::json::kind::string:
      return FieldValue::of_string(std::string(v.get_string()));
    case boost::json::kind::array: {
      FieldValue out;
      out.kind = FieldValue::Kind::kArray;
      for (const auto& item : v.get_array()) {
        if (item.is_array() || item.is_object() || item.is_null()) {
          throw std::invalid_argument("queue_headers." + std::string(key) +
                                      ": lists may hold numbers, strings and booleans only");
        }
        out.items.push_back(from_json(item, key));
      }
      return out;
    }
    case boost::json::kind::object:
    case boost::json::kind::null:
      break;
  }
  throw std::invalid_argument("queue_headers." + std::string(key) +
                              ": values must be numbers, strings, booleans or lists of them");
}

std::string percent_decode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      unsigned value = 0;
      auto [end, ec] = std::from_chars(in.data() + i + 1, in.data() + i + 3, value, 16);
      if (ec == std::errc{} && end == in.data() + i + 3) {
        out.push_back(static_cast<char>(value));
        i += 2;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

void check_file(const sdk::Config& config, const std::string& path_key, const std::string& file,
                const std::string& what) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    // RoadRunner's words ("key file '%s' does not exists"), plus what to do.
    throw config.error_at(path_key, what + " '" + file +
                                        "' does not exists (set the path of an existing PEM "
                                        "file, relative to the working directory)");
  }
}

std::chrono::milliseconds positive_duration(const sdk::Config& config, const std::string& key,
                                            std::chrono::milliseconds fallback, bool zero_ok) {
  auto d = config.duration(key);
  if (!d) return fallback;
  if (d->count() < 0 || (!zero_ok && d->count() == 0)) {
    throw config.error_at(key, std::string("must be a positive duration") +
                                   (zero_ok ? " or 0" : "") + " (e.g. 10s, 500ms)");
  }
  return *d;
}

void finish(PipelineSettings& s, const std::string& where,
            const std::function<void(const std::string&, const std::string&)>& fail) {
  if (s.priority == 0) s.priority = kDefaultPriority;  // RR's InitDefault
  if (s.prefetch == 0) s.prefetch = kDefaultPrefetch;  // RR's InitDefault
  if (s.prefetch < 0 || s.prefetch > 65535) {
    fail("prefetch",
         "prefetch must be 1..65535 (basic.qos takes a 16-bit count; default 10), got " +
             std::to_string(s.prefetch));
  }
  if (s.exchange.empty()) s.exchange = std::string(kDefaultExchange);
  if (s.exchange_type.empty()) s.exchange_type = "direct";
  if (!normalise_exchange_type(s.exchange_type)) {
    fail("exchange_type", "unknown exchange_type \"" + s.exchange_type + "\" in " + where +
                              "; use one of " + valid_exchange_types_text());
  }
  if (s.consumer_id.empty()) s.consumer_id = "roadrunner-" + new_uuid();
}

}  // namespace

FieldValue FieldValue::of_bool(bool v) {
  FieldValue f;
  f.kind = Kind::kBool;
  f.boolean = v;
  return f;
}
FieldValue FieldValue::of_int(std::int64_t v) {
  FieldValue f;
  f.kind = Kind::kInt;
  f.integer = v;
  return f;
}
FieldValue FieldValue::of_double(double v) {
  FieldValue f;
  f.kind = Kind::kDouble;
  f.number = v;
  return f;
}
FieldValue FieldValue::of_string(std::string v) {
  FieldValue f;
  f.kind = Kind::kString;
  f.text = std::move(v);
  return f;
}

FieldValue FieldValue::from_scalar_text(const std::string& text) {
  if (text == "true") return of_bool(true);
  if (text == "false") return of_bool(false);
  std::int64_t i = 0;
  if (auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
      ec == std::errc{} && end == text.data() + text.size() && !text.empty()) {
    return of_int(i);
  }
  if (!text.empty() && (std::isdigit(static_cast<unsigned char>(text[0])) != 0 || text[0] == '-' ||
                        text[0] == '.')) {
    char* end = nullptr;
    const double d = std::strtod(text.c_str(), &end);
    if (end == text.c_str() + text.size()) return of_double(d);
  }
  return of_string(text);
}

bool operator==(const FieldValue& a, const FieldValue& b) {
  return a.kind == b.kind && a.boolean == b.boolean && a.integer == b.integer &&
         a.number == b.number && a.text == b.text && a.items == b.items;
}

std::string GlobalSettings::redacted_addr() const {
  // scheme://user:password@rest -> scheme://user:***@rest
  const auto scheme_end = addr.find("://");
  const auto at = addr.rfind('@');
  if (scheme_end == std::string::npos || at == std::string::npos || at < scheme_end) return addr;
  const auto colon = addr.find(':', scheme_end + 3);
  if (colon == std::string::npos || colon > at) return addr;
  return addr.substr(0, colon + 1) + "***" + addr.substr(at);
}

void parse_addr(GlobalSettings& s) {
  std::string buffer = s.addr;  // amqp_parse_url writes into its argument
  amqp_connection_info info{};
  amqp_default_connection_info(&info);
  if (amqp_parse_url(buffer.data(), &info) != AMQP_STATUS_OK) {
    throw std::invalid_argument("\"" + s.redacted_addr() +
                                "\" is not an AMQP URI; expected "
                                "amqp://user:password@host:5672/vhost (or amqps://)");
  }
  s.host = info.host;
  s.port = info.port;
  s.user = info.user;
  s.password = info.password;
  s.tls_enabled = s.tls_enabled || info.ssl != 0;
  // amqp091-go: no path or "/" is vhost "/", otherwise the path after the first slash, decoded.
  // rabbitmq-c turns "amqp://host/" into the vhost "", which no broker has.
  const auto scheme_end = s.addr.find("://");
  const auto slash = s.addr.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  if (slash == std::string::npos || slash + 1 >= s.addr.size()) {
    s.vhost = "/";
  } else {
    std::string path = s.addr.substr(slash + 1);
    if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
    s.vhost = path.empty() ? "/" : percent_decode(path);
  }
}

GlobalSettings parse_global(const sdk::Config& config, std::vector<std::string>& warnings) {
  GlobalSettings s;
  if (auto addr = config.string("amqp.addr"); addr && !addr->empty()) s.addr = *addr;
  s.tls.key = config.string_or("amqp.tls.key", "");
  s.tls.cert = config.string_or("amqp.tls.cert", "");
  s.tls.root_ca = config.string_or("amqp.tls.root_ca", "");
  s.tls.client_auth_type = config.string_or("amqp.tls.client_auth_type", "no_client_cert");
  if (s.tls.client_auth_type.empty()) s.tls.client_auth_type = "no_client_cert";
  if (std::find(kClientAuthTypes.begin(), kClientAuthTypes.end(), s.tls.client_auth_type) ==
      kClientAuthTypes.end()) {
    warnings.push_back("amqp.tls.client_auth_type: unknown value \"" + s.tls.client_auth_type +
                       "\" (RoadRunner treats it as no_client_cert; it has no effect on a client)");
  }
  // RoadRunner turns TLS on when both key and cert are set, and checks that the files exist.
  if (!s.tls.key.empty() && !s.tls.cert.empty()) {
    s.tls_enabled = true;
    check_file(config, "amqp.tls.key", s.tls.key, "key file");
    check_file(config, "amqp.tls.cert", s.tls.cert, "cert file");
  } else if (!s.tls.key.empty() || !s.tls.cert.empty()) {
    throw config.error_at(s.tls.key.empty() ? "amqp.tls.cert" : "amqp.tls.key",
                          "set both amqp.tls.key and amqp.tls.cert for a client certificate "
                          "(or neither; amqps:// alone gives TLS without one)");
  }
  if (!s.tls.root_ca.empty()) {
    check_file(config, "amqp.tls.root_ca", s.tls.root_ca, "root ca path provided, but key file");
  }
  s.heartbeat = std::chrono::duration_cast<std::chrono::seconds>(
      positive_duration(config, "amqp.heartbeat", s.heartbeat, true));
  if (s.heartbeat.count() > 65535) {
    throw config.error_at("amqp.heartbeat", "at most 65535s (AMQP sends it as 16 bits)");
  }
  s.connect_timeout = positive_duration(config, "amqp.connect_timeout", s.connect_timeout, false);
  s.reconnect_initial =
      positive_duration(config, "amqp.reconnect_initial", s.reconnect_initial, false);
  s.reconnect_max = positive_duration(config, "amqp.reconnect_max", s.reconnect_max, false);
  if (s.reconnect_max < s.reconnect_initial) {
    throw config.error_at("amqp.reconnect_max", "must be at least amqp.reconnect_initial");
  }
  try {
    parse_addr(s);
  } catch (const std::invalid_argument& e) {
    throw config.error_at("amqp.addr", e.what());
  }
  for (const auto& key : config.keys("amqp")) {
    if (std::find(kGlobalKeys.begin(), kGlobalKeys.end(), key) == kGlobalKeys.end()) {
      warnings.push_back(unknown_key_note("amqp", key, kGlobalKeys));
    }
  }
  return s;
}

PipelineSettings parse_file_pipeline(const sdk::Config& config, std::string_view config_key,
                                     const sdk::Pipeline& pipeline,
                                     std::vector<std::string>& warnings) {
  const std::string base(config_key);
  auto key = [&](std::string_view k) { return base + "." + std::string(k); };
  PipelineSettings s;
  s.name = pipeline.name();
  s.priority = pipeline.priority();
  s.prefetch = config.integer_or(key("prefetch"), 0);
  s.queue = config.string_or(key("queue"), "");
  s.exchange = config.string_or(key("exchange"), "");
  s.exchange_type = config.string_or(key("exchange_type"), "");
  s.routing_key = config.string_or(key("routing_key"), "");
  s.exclusive = config.boolean_or(key("exclusive"), false);
  s.durable = config.boolean_or(key("durable"), false);
  s.exchange_durable = config.boolean_or(key("exchange_durable"), false);
  s.exchange_auto_delete = config.boolean_or(key("exchange_auto_delete"), false);
  s.queue_auto_delete = config.boolean_or(key("queue_auto_delete"), false);
  s.delete_queue_on_stop = config.boolean_or(key("delete_queue_on_stop"), false);
  s.multiple_ack = config.boolean_or(key("multiple_ack"), false);
  s.requeue_on_fail = config.boolean_or(key("requeue_on_fail"), false);
  s.redial_timeout = config.integer_or(key("redial_timeout"), kDefaultRedialTimeout);
  s.consumer_id = config.string_or(key("consumer_id"), "");

  const std::string headers_key = key("queue_headers");
  if (auto children = config.keys(headers_key); !children.empty()) {
    for (const auto& child : children) {
      std::string path = headers_key;
      path.append(".").append(child);
      if (auto text = config.text(path)) {
        s.queue_headers.emplace_back(child, FieldValue::from_scalar_text(*text));
      } else if (auto list = config.strings(path)) {
        FieldValue array;
        array.kind = FieldValue::Kind::kArray;
        for (const auto& item : *list) array.items.push_back(FieldValue::from_scalar_text(item));
        s.queue_headers.emplace_back(child, std::move(array));
      } else {
        throw config.error_at(path,
                              "queue arguments may be numbers, strings, booleans or lists of them");
      }
    }
  } else if (auto text = config.text(headers_key)) {
    try {
      s.queue_headers = parse_queue_headers_json(*text);
    } catch (const std::invalid_argument& e) {
      throw config.error_at(headers_key, e.what());
    }
  }
  finish(s, "pipeline " + s.name, [&](const std::string& k, const std::string& problem) {
    throw config.error_at(key(k), problem);
  });
  for (const auto& k : config.keys(base)) {
    if (std::find(kPipelineKeys.begin(), kPipelineKeys.end(), k) == kPipelineKeys.end()) {
      warnings.push_back(unknown_key_note(base, k, kPipelineKeys));
    }
  }
  return s;
}

PipelineSettings parse_declared_pipeline(const sdk::Pipeline& pipeline) {
  PipelineSettings s;
  s.name = pipeline.name();
  s.priority = pipeline.priority();
  const std::string prefetch_text = pipeline.string("prefetch", "10");
  std::int64_t prefetch = 0;
  if (auto [end, ec] = std::from_chars(prefetch_text.data(),
                                       prefetch_text.data() + prefetch_text.size(), prefetch);
      ec != std::errc{} || end != prefetch_text.data() + prefetch_text.size()) {
    throw std::invalid_argument("amqp pipeline " + s.name +
                                ": prefetch must be a number 1..65535, got \"" + prefetch_text +
                                "\"");
  }
  s.prefetch = prefetch;
  s.queue = pipeline.string("queue");
  s.exchange = pipeline.string("exchange", std::string(kDefaultExchange));
  s.exchange_type = pipeline.string("exchange_type", "direct");
  s.routing_key = pipeline.string("routing_key");
  s.exclusive = pipeline.boolean("exclusive", false);
  s.durable = pipeline.boolean("durable", false);
  s.exchange_durable = pipeline.boolean("exchange_durable", false);
  s.exchange_auto_delete = pipeline.boolean("exchange_auto_delete", false);
  s.queue_auto_delete = pipeline.boolean("queue_auto_delete", false);
  s.delete_queue_on_stop = pipeline.boolean("delete_queue_on_stop", false);
  s.multiple_ack = pipeline.boolean("multiple_ack", false);
  s.requeue_on_fail = pipeline.boolean("requeue_on_fail", false);
  s.redial_timeout = pipeline.integer("redial_timeout", kDefaultRedialTimeout);
  s.consumer_id = pipeline.string("consumer_id");
  try {
    s.queue_headers = parse_queue_headers_json(pipeline.string("queue_headers"));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("amqp pipeline " + s.name + ": " + e.what());
  }
  finish(s, "pipeline " + s.name, [&](const std::string&, const std::string& problem) {
    throw std::invalid_argument("amqp pipeline " + s.name + ": " + problem);
  });
  return s;
}

FieldTable parse_queue_headers_json(std::string_view json) {
  FieldTable out;
  const auto first = json.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return out;
  boost::json::error_code ec;
  const boost::json::value v = boost::json::parse(json, ec);
  if (ec) {
    throw std::invalid_argument(
        "queue_headers must be a JSON object such as "
        "{\"x-queue-mode\":\"lazy\"}, got invalid JSON (" +
        ec.message() + ")");
  }
  // PHP's json_encode of an empty array is "[]": no arguments (RoadRunner fails on it).
  if (v.is_array() && v.get_array().empty()) return out;
  if (!v.is_object()) {
    throw std::invalid_argument(
        "queue_headers must be a JSON object such as "
        "{\"x-queue-mode\":\"lazy\"}, got " +
        boost::json::serialize(v));
  }
  for (const auto& [k, value] : v.get_object()) {
    if (value.is_null()) continue;
    out.emplace_back(std::string(k), from_json(value, k));
  }
  return out;
}

std::string new_uuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::uint64_t hi = rng();
  const std::uint64_t lo = rng();
  std::array<unsigned char, 16> b{};
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<unsigned char>(hi >> (56 - 8 * i));
    b[8 + i] = static_cast<unsigned char>(lo >> (56 - 8 * i));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

}  // namespace coyote::drivers::amqp
