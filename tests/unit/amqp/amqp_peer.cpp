// coyote-amqp-peer: the e2e tests' stand-in for a RoadRunner instance and for foreign producers.
//
//   publish --url U --exchange E --routing-key K [--count N] [--id-prefix P] [--job J]
//           [--pipeline NAME] [--format rr|narrow|foreign] [--delay S] [--priority P]
//           [--headers JSON] [--body TEXT]      body/ids: "{i}" is replaced by the index
//   get     --url U --queue Q --count N [--timeout SECONDS]
//   declare --url U --queue Q [--durable] [--args JSON] [--bind-exchange E --bind-key K]
//   declare-exchange --url U --exchange E --type T [--durable]
//   count   --url U --queue Q
//   delete  --url U --queue Q
//
// `publish --format rr` writes the rr_* headers with exactly the AMQP types RoadRunner's Go
// client (amqp091-go) gives them: rr_id/rr_job/rr_pipeline 'S', rr_headers 'x' (JSON bytes),
// rr_delay 'I' (Go int), rr_priority 'l' (int64), rr_auto_ack 't'. `narrow` writes rr_priority
// and rr_delay as 16/32-bit fields (which RoadRunner itself cannot read), `foreign` no rr_*
// header at all. Every publish waits for its publisher confirm. `get` prints one JSON line per
// message with every header as "type:value", so a test can check Coyote's exact wire format.
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <boost/json.hpp>

#include <sys/time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace json = boost::json;

namespace {

[[noreturn]] void die(const std::string& message) {
  std::cerr << "coyote-amqp-peer: " << message << '\n';
  std::exit(1);
}

std::string expand(std::string text, std::size_t i) {
  const std::string token = "{i}";
  for (auto pos = text.find(token); pos != std::string::npos; pos = text.find(token, pos)) {
    text.replace(pos, token.size(), std::to_string(i));
  }
  return text;
}

void check(amqp_connection_state_t c, const char* what) {
  const amqp_rpc_reply_t r = amqp_get_rpc_reply(c);
  if (r.reply_type == AMQP_RESPONSE_NORMAL) return;
  if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION && r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
    const auto* m = static_cast<amqp_channel_close_t*>(r.reply.decoded);
    die(std::string(what) + ": " + std::to_string(m->reply_code) + " " +
        std::string(static_cast<char*>(m->reply_text.bytes), m->reply_text.len));
  }
  if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
      r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
    const auto* m = static_cast<amqp_connection_close_t*>(r.reply.decoded);
    die(std::string(what) + ": " + std::to_string(m->reply_code) + " " +
        std::string(static_cast<char*>(m->reply_text.bytes), m->reply_text.len));
  }
  die(std::string(what) + ": " +
      (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION ? amqp_error_string2(r.library_error)
                                                       : "failed"));
}

amqp_connection_state_t connect(const std::string& url) {
  std::string buffer = url;
  amqp_connection_info info;
  if (amqp_parse_url(buffer.data(), &info) != AMQP_STATUS_OK) die("bad --url " + url);
  std::string vhost = info.vhost;
  if (vhost.empty()) vhost = "/";
  amqp_connection_state_t c = amqp_new_connection();
  amqp_socket_t* s = amqp_tcp_socket_new(c);
  timeval tv{10, 0};
  if (amqp_socket_open_noblock(s, info.host, info.port, &tv) != AMQP_STATUS_OK) {
    die("cannot connect to " + std::string(info.host) + ":" + std::to_string(info.port));
  }
  const auto r =
      amqp_login(c, vhost.c_str(), 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, info.user, info.password);
  if (r.reply_type != AMQP_RESPONSE_NORMAL) die("login failed");
  amqp_channel_open(c, 1);
  check(c, "channel.open");
  return c;
}

std::string bytes(amqp_bytes_t b) { return std::string(static_cast<char*>(b.bytes), b.len); }

std::string field_text(const amqp_field_value_t& v) {
  const std::string kind(1, static_cast<char>(v.kind));
  switch (v.kind) {
    case AMQP_FIELD_KIND_UTF8:
    case AMQP_FIELD_KIND_BYTES:
      return kind + ":" + bytes(v.value.bytes);
    case AMQP_FIELD_KIND_I8:
      return kind + ":" + std::to_string(v.value.i8);
    case AMQP_FIELD_KIND_U8:
      return kind + ":" + std::to_string(v.value.u8);
    case AMQP_FIELD_KIND_I16:
      return kind + ":" + std::to_string(v.value.i16);
    case AMQP_FIELD_KIND_U16:
      return kind + ":" + std::to_string(v.value.u16);
    case AMQP_FIELD_KIND_I32:
      return kind + ":" + std::to_string(v.value.i32);
    case AMQP_FIELD_KIND_U32:
      return kind + ":" + std::to_string(v.value.u32);
    case AMQP_FIELD_KIND_I64:
      return kind + ":" + std::to_string(v.value.i64);
    case AMQP_FIELD_KIND_U64:
    case AMQP_FIELD_KIND_TIMESTAMP:
      return kind + ":" + std::to_string(v.value.u64);
    case AMQP_FIELD_KIND_BOOLEAN:
      return kind + (v.value.boolean ? ":true" : ":false");
    default:
      return kind;
  }
}

struct Args {
  std::map<std::string, std::string> values;
  [[nodiscard]] std::string get(const std::string& k, const std::string& fallback = "") const {
    auto it = values.find(k);
    return it == values.end() ? fallback : it->second;
  }
  [[nodiscard]] bool has(const std::string& k) const { return values.count(k) != 0; }
};

amqp_table_t to_table(const json::object& o, std::vector<amqp_table_entry_t>& storage,
                      std::vector<std::string>& strings) {
  storage.clear();
  strings.reserve(o.size() * 2);
  for (const auto& [k, v] : o) {
    amqp_table_entry_t e{};
    strings.emplace_back(k);
    e.key = amqp_bytes_t{strings.back().size(), strings.back().data()};
    if (v.is_int64()) {
      e.value.kind = AMQP_FIELD_KIND_I64;
      e.value.value.i64 = v.get_int64();
    } else if (v.is_bool()) {
      e.value.kind = AMQP_FIELD_KIND_BOOLEAN;
      e.value.value.boolean = v.get_bool();
    } else if (v.is_string()) {
      strings.emplace_back(v.get_string());
      e.value.kind = AMQP_FIELD_KIND_UTF8;
      e.value.value.bytes = amqp_bytes_t{strings.back().size(), strings.back().data()};
    } else {
      die("--args values must be integers, booleans or strings");
    }
    storage.push_back(e);
  }
  return amqp_table_t{static_cast<int>(storage.size()), storage.data()};
}

int publish(const Args& a) {
  amqp_connection_state_t c = connect(a.get("--url"));
  amqp_confirm_select(c, 1);
  check(c, "confirm.select");
  const std::size_t count = std::stoul(a.get("--count", "1"));
  const std::string format = a.get("--format", "rr");
  const std::string exchange = a.get("--exchange", "amqp.default");
  const std::string routing_key = a.get("--routing-key");
  const std::int64_t delay = std::stoll(a.get("--delay", "0"));
  const std::int64_t priority = std::stoll(a.get("--priority", "10"));
  const std::string headers_json = a.get("--headers", "{}");
  for (std::size_t i = 0; i < count; ++i) {
    const std::string id = expand(a.get("--id-prefix", "peer-{i}"), i);
    const std::string body = expand(a.get("--body", "{i}"), i);
    const std::string job = a.get("--job", "Peer\\Job");
    const std::string pipeline = a.get("--pipeline", "peer");
    std::vector<amqp_table_entry_t> e;
    auto add = [&e](const char* k, amqp_field_value_t v) {
      amqp_table_entry_t entry{};
      entry.key = amqp_cstring_bytes(k);
      entry.value = v;
      e.push_back(entry);
    };
    amqp_field_value_t v{};
    if (format == "foreign") {
      v.kind = AMQP_FIELD_KIND_UTF8;
      v.value.bytes = amqp_cstring_bytes("peer");
      add("source", v);
    } else {
      v.kind = AMQP_FIELD_KIND_UTF8;
      v.value.bytes = amqp_bytes_t{id.size(), const_cast<char*>(id.data())};
      add("rr_id", v);
      v.value.bytes = amqp_bytes_t{job.size(), const_cast<char*>(job.data())};
      add("rr_job", v);
      v.value.bytes = amqp_bytes_t{pipeline.size(), const_cast<char*>(pipeline.data())};
      add("rr_pipeline", v);
      v = amqp_field_value_t{};
      v.kind = AMQP_FIELD_KIND_BYTES;
      v.value.bytes = amqp_bytes_t{headers_json.size(), const_cast<char*>(headers_json.data())};
      add("rr_headers", v);
      v = amqp_field_value_t{};
      if (format == "narrow") {
        v.kind = AMQP_FIELD_KIND_I16;
        v.value.i16 = static_cast<std::int16_t>(delay);
      } else {
        v.kind = AMQP_FIELD_KIND_I32;
        v.value.i32 = static_cast<std::int32_t>(delay);
      }
      add("rr_delay", v);
      v = amqp_field_value_t{};
      if (format == "narrow") {
        v.kind = AMQP_FIELD_KIND_I32;
        v.value.i32 = static_cast<std::int32_t>(priority);
      } else {
        v.kind = AMQP_FIELD_KIND_I64;
        v.value.i64 = priority;
      }
      add("rr_priority", v);
      v = amqp_field_value_t{};
      v.kind = AMQP_FIELD_KIND_BOOLEAN;
      v.value.boolean = 0;
      add("rr_auto_ack", v);
    }
    amqp_basic_properties_t p{};
    p._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
               AMQP_BASIC_TIMESTAMP_FLAG | AMQP_BASIC_HEADERS_FLAG;
    p.content_type = amqp_cstring_bytes("application/octet-stream");
    p.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    p.timestamp = static_cast<std::uint64_t>(std::time(nullptr));
    p.headers = amqp_table_t{static_cast<int>(e.size()), e.data()};
    if (amqp_basic_publish(
            c, 1, amqp_cstring_bytes(exchange.c_str()), amqp_cstring_bytes(routing_key.c_str()), 1,
            0, &p, amqp_bytes_t{body.size(), const_cast<char*>(body.data())}) != AMQP_STATUS_OK) {
      die("basic.publish failed");
    }
  }
  std::uint64_t confirmed = 0;
  while (confirmed < count) {
    amqp_frame_t f;
    timeval tv{10, 0};
    if (amqp_simple_wait_frame_noblock(c, &f, &tv) != AMQP_STATUS_OK) die("no confirm");
    if (f.frame_type != AMQP_FRAME_METHOD) continue;
    if (f.payload.method.id == AMQP_BASIC_ACK_METHOD) {
      const auto* m = static_cast<amqp_basic_ack_t*>(f.payload.method.decoded);
      confirmed = m->multiple ? m->delivery_tag : confirmed + 1;
    } else if (f.payload.method.id == AMQP_BASIC_NACK_METHOD) {
      die("the broker nacked a publish");
    } else if (f.payload.method.id == AMQP_BASIC_RETURN_METHOD) {
      die("the broker returned a publish as unroutable");
    }
  }
  std::cout << json::serialize(json::object{{"published", count}}) << '\n';
  amqp_connection_close(c, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(c);
  return 0;
}

int get(const Args& a) {
  amqp_connection_state_t c = connect(a.get("--url"));
  const std::string queue = a.get("--queue");
  const std::size_t count = std::stoul(a.get("--count", "1"));
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds{std::stoll(a.get("--timeout", "20"))};
  std::size_t got = 0;
  while (got < count && std::chrono::steady_clock::now() < deadline) {
    const amqp_rpc_reply_t r = amqp_basic_get(c, 1, amqp_cstring_bytes(queue.c_str()), 0);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) check(c, "basic.get");
    if (r.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) {
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
      continue;
    }
    const auto* ok = static_cast<amqp_basic_get_ok_t*>(r.reply.decoded);
    const std::uint64_t tag = ok->delivery_tag;
    const bool redelivered = ok->redelivered != 0;
    const std::string routing_key = bytes(ok->routing_key);
    amqp_message_t m;
    if (amqp_read_message(c, 1, &m, 0).reply_type != AMQP_RESPONSE_NORMAL) die("read_message");
    json::object headers;
    for (int i = 0; i < m.properties.headers.num_entries; ++i) {
      const auto& e = m.properties.headers.entries[i];
      headers[bytes(e.key)] = field_text(e.value);
    }
    json::object line{{"body", bytes(m.body)},
                      {"headers", headers},
                      {"content_type", bytes(m.properties.content_type)},
                      {"delivery_mode", m.properties.delivery_mode},
                      {"timestamp", m.properties.timestamp},
                      {"redelivered", redelivered},
                      {"routing_key", routing_key}};
    std::cout << json::serialize(line) << '\n' << std::flush;
    amqp_destroy_message(&m);
    amqp_basic_ack(c, 1, tag, 0);
    ++got;
  }
  amqp_connection_close(c, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(c);
  return got == count ? 0 : 2;
}

int declare(const Args& a) {
  amqp_connection_state_t c = connect(a.get("--url"));
  std::vector<amqp_table_entry_t> storage;
  std::vector<std::string> strings;
  const json::value args = json::parse(a.get("--args", "{}"));
  const amqp_table_t table = to_table(args.as_object(), storage, strings);
  const std::string queue = a.get("--queue");
  amqp_queue_declare(c, 1, amqp_cstring_bytes(queue.c_str()), 0, a.has("--durable") ? 1 : 0, 0, 0,
                     table);
  check(c, "queue.declare");
  if (a.has("--bind-exchange")) {
    const std::string ex = a.get("--bind-exchange");
    const std::string key = a.get("--bind-key");
    amqp_queue_bind(c, 1, amqp_cstring_bytes(queue.c_str()), amqp_cstring_bytes(ex.c_str()),
                    amqp_cstring_bytes(key.c_str()), amqp_empty_table);
    check(c, "queue.bind");
  }
  std::cout << "{\"declared\":true}\n";
  amqp_connection_close(c, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(c);
  return 0;
}

int declare_exchange(const Args& a) {
  amqp_connection_state_t c = connect(a.get("--url"));
  const std::string ex = a.get("--exchange");
  const std::string type = a.get("--type", "direct");
  amqp_exchange_declare(c, 1, amqp_cstring_bytes(ex.c_str()), amqp_cstring_bytes(type.c_str()), 0,
                        a.has("--durable") ? 1 : 0, 0, 0, amqp_empty_table);
  check(c, "exchange.declare");
  std::cout << "{\"declared\":true}\n";
  amqp_connection_close(c, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(c);
  return 0;
}

int remove(const Args& a) {
  amqp_connection_state_t c = connect(a.get("--url"));
  const std::string queue = a.get("--queue");
  amqp_queue_delete(c, 1, amqp_cstring_bytes(queue.c_str()), 0, 0);
  check(c, "queue.delete");
  std::cout << "{\"deleted\":true}\n";
  amqp_connection_close(c, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(c);
  return 0;
}

int count(const Args& a) {
  amqp_connection_state_t c = connect(a.get("--url"));
  const std::string queue = a.get("--queue");
  const auto* ok =
      amqp_queue_declare(c, 1, amqp_cstring_bytes(queue.c_str()), 1, 0, 0, 0, amqp_empty_table);
  check(c, "queue.declare (passive)");
  std::cout << json::serialize(
                   json::object{{"messages", ok->message_count}, {"consumers", ok->consumer_count}})
            << '\n';
  amqp_connection_close(c, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(c);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2)
    die("usage: coyote-amqp-peer publish|get|declare|declare-exchange|count|delete --url U ...");
  Args a;
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--durable") {
      a.values[k] = "1";
    } else if (i + 1 < argc) {
      a.values[k] = argv[++i];
    } else {
      die("missing value for " + k);
    }
  }
  const std::string mode = argv[1];
  if (mode == "publish") return publish(a);
  if (mode == "get") return get(a);
  if (mode == "declare") return declare(a);
  if (mode == "count") return count(a);
  if (mode == "declare-exchange") return declare_exchange(a);
  if (mode == "delete") return remove(a);
  die("unknown mode " + mode);
}
