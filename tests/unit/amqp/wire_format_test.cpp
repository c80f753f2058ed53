#include "amqp/wire_format.hpp"

#include <catch2/catch.hpp>

#include <amqp_framing.h>

#include <map>
#include <string>
#include <vector>

using namespace coyote::drivers::amqp;
using coyote::sdk::Headers;
using coyote::sdk::Message;

namespace {

/// Properties as they cross the wire: encoded by rabbitmq-c, decoded again into `pool`.
class OnTheWire {
 public:
  OnTheWire() { init_amqp_pool(&pool_, 4096); }
  ~OnTheWire() { empty_amqp_pool(&pool_); }
  OnTheWire(const OnTheWire&) = delete;
  OnTheWire& operator=(const OnTheWire&) = delete;

  const amqp_basic_properties_t& pass(const amqp_basic_properties_t& props) {
    buf_.assign(1 << 16, '\0');
    const int n =
        amqp_encode_properties(AMQP_BASIC_CLASS, const_cast<amqp_basic_properties_t*>(&props),
                               amqp_bytes_t{buf_.size(), buf_.data()});
    REQUIRE(n > 0);
    void* out = nullptr;
    REQUIRE(amqp_decode_properties(AMQP_BASIC_CLASS, &pool_,
                                   amqp_bytes_t{static_cast<std::size_t>(n), buf_.data()},
                                   &out) == 0);
    return *static_cast<amqp_basic_properties_t*>(out);
  }

 private:
  amqp_pool_t pool_;
  std::vector<char> buf_;
};

/// "kind:value" of every header, for assertions on the exact AMQP types.
std::map<std::string, std::string> fields(const amqp_basic_properties_t& p) {
  std::map<std::string, std::string> out;
  for (int i = 0; i < p.headers.num_entries; ++i) {
    out[std::string(view_of(p.headers.entries[i].key))] =
        describe_field(p.headers.entries[i].value);
  }
  return out;
}

Message sample() {
  Message m;
  m.id = "id-1";
  m.name = "App\\Job";
  m.payload = "{\"n\":1}";
  m.headers = {{"trace", {"abc"}}, {"multi", {"a", "b"}}};
  m.options.priority = 7;
  m.options.delay_seconds = 3;
  m.options.auto_ack = true;
  m.options.pipeline = "p";
  return m;
}

struct Table {
  std::vector<amqp_table_entry_t> entries;
  void add(const char* key, amqp_field_value_t v) {
    amqp_table_entry_t e{};
    e.key = amqp_cstring_bytes(key);
    e.value = v;
    entries.push_back(e);
  }
  amqp_basic_properties_t props() {
    amqp_basic_properties_t p{};
    p._flags = AMQP_BASIC_HEADERS_FLAG;
    p.headers = amqp_table_t{static_cast<int>(entries.size()), entries.data()};
    return p;
  }
};

amqp_field_value_t utf8(const char* s) {
  amqp_field_value_t v{};
  v.kind = AMQP_FIELD_KIND_UTF8;
  v.value.bytes = amqp_cstring_bytes(s);
  return v;
}

}  // namespace

TEST_CASE("amqp messages carry the rr_* headers with the AMQP types RoadRunner writes",
          "[amqp][wire]") {
  const Message m = sample();
  const OutgoingMessage out(m, "p", 1700000000);
  OnTheWire wire;
  const auto& p = wire.pass(*out.properties());
  const auto f = fields(p);
  CHECK(f.at("rr_id") == "S:id-1");
  CHECK(f.at("rr_job") == "S:App\\Job");
  CHECK(f.at("rr_pipeline") == "S:p");
  CHECK(f.at("rr_headers") == R"(x:{"multi":["a","b"],"trace":["abc"]})");
  CHECK(f.at("rr_delay") == "I:3");     // Go int: a 32-bit field
  CHECK(f.at("rr_priority") == "l:7");  // int64: RoadRunner's reader asserts exactly this
  CHECK(f.at("rr_auto_ack") == "t:true");
  CHECK(f.size() == 7);
  CHECK(view_of(p.content_type) == "application/octet-stream");
  CHECK(p.delivery_mode == 2);
  CHECK(p.timestamp == 1700000000);
  CHECK(view_of(out.body()) == m.payload);
}

TEST_CASE("amqp decoding a Coyote message gives back the job, as RoadRunner reads it",
          "[amqp][wire]") {
  const Message m = sample();
  const OutgoingMessage out(m, "origin", 0);
  OnTheWire wire;
  const auto d = decode_properties(wire.pass(*out.properties()), 10);
  CHECK(d.message.id == "id-1");
  CHECK(d.message.name == "App\\Job");
  CHECK(d.rr_pipeline == "origin");
  CHECK(d.message.options.priority == 7);
  CHECK(d.message.options.delay_seconds == 3);
  CHECK(d.message.options.auto_ack);
  CHECK(d.has_rr_id);
  CHECK(d.has_rr_job);
  CHECK(d.warnings.empty());
  // RoadRunner's convHeaders: every AMQP header is a job header too, then rr_headers on top.
  CHECK(d.message.headers.at("trace") == std::vector<std::string>{"abc"});
  CHECK(d.message.headers.at("multi") == std::vector<std::string>{"a", "b"});
  CHECK(d.message.headers.at("rr_id") == std::vector<std::string>{"id-1"});
  CHECK(d.message.headers.at("rr_priority") == std::vector<std::string>{"7"});
  CHECK(d.message.headers.at("rr_delay") == std::vector<std::string>{"3"});
  CHECK(d.message.headers.at("rr_auto_ack") == std::vector<std::string>{"true"});
}

TEST_CASE("amqp requeued copies do not nest rr_headers into rr_headers", "[amqp][wire]") {
  const Message m = sample();
  const OutgoingMessage first(m, "p", 0);
  OnTheWire wire;
  auto d = decode_properties(wire.pass(*first.properties()), 10);
  for (int round = 0; round < 5; ++round) {
    const OutgoingMessage again(d.message, "p", 0);
    CHECK(again.headers_json() == R"({"multi":["a","b"],"trace":["abc"]})");
    OnTheWire w2;
    d = decode_properties(w2.pass(*again.properties()), 10);
  }
}

TEST_CASE("amqp rr_priority and rr_delay are read from any integer width", "[amqp][wire]") {
  const std::uint8_t kinds[] = {AMQP_FIELD_KIND_I8,  AMQP_FIELD_KIND_U8,  AMQP_FIELD_KIND_I16,
                                AMQP_FIELD_KIND_U16, AMQP_FIELD_KIND_I32, AMQP_FIELD_KIND_U32,
                                AMQP_FIELD_KIND_I64, AMQP_FIELD_KIND_U64};
  for (const auto kind : kinds) {
    Table t;
    amqp_field_value_t v{};
    v.kind = kind;
    switch (kind) {
      case AMQP_FIELD_KIND_I8:
        v.value.i8 = 5;
        break;
      case AMQP_FIELD_KIND_U8:
        v.value.u8 = 5;
        break;
      case AMQP_FIELD_KIND_I16:
        v.value.i16 = 5;
        break;
      case AMQP_FIELD_KIND_U16:
        v.value.u16 = 5;
        break;
      case AMQP_FIELD_KIND_I32:
        v.value.i32 = 5;
        break;
      case AMQP_FIELD_KIND_U32:
        v.value.u32 = 5;
        break;
      case AMQP_FIELD_KIND_I64:
        v.value.i64 = 5;
        break;
      default:
        v.value.u64 = 5;
        break;
    }
    t.add("rr_priority", v);
    t.add("rr_delay", v);
    OnTheWire wire;
    const auto d = decode_properties(wire.pass(t.props()), 10);
    INFO("kind " << static_cast<char>(kind));
    CHECK(d.message.options.priority == 5);
    CHECK(d.message.options.delay_seconds == 5);
    CHECK(d.warnings.empty());
  }
}

TEST_CASE("amqp foreign messages get a fresh id and RoadRunner's deduced job name",
          "[amqp][wire]") {
  amqp_basic_properties_t bare{};  // no headers at all
  const auto d = decode_properties(bare, 4);
  CHECK_FALSE(d.has_rr_id);
  CHECK_FALSE(d.has_rr_job);
  CHECK(d.message.id.size() == 36);
  CHECK(d.message.name == "deduced_by_rr");
  CHECK(d.message.options.priority == 4);
  CHECK(d.message.headers.empty());
}

TEST_CASE("amqp header values of every type become text the way RoadRunner converts them",
          "[amqp][wire]") {
  Table inner;
  inner.add("nested", utf8("n"));
  amqp_field_value_t table{};
  table.kind = AMQP_FIELD_KIND_TABLE;
  table.value.table = amqp_table_t{1, inner.entries.data()};
  amqp_field_value_t items[2] = {utf8("x"), utf8("y")};
  amqp_field_value_t array{};
  array.kind = AMQP_FIELD_KIND_ARRAY;
  array.value.array = amqp_array_t{2, items};
  amqp_field_value_t f64{};
  f64.kind = AMQP_FIELD_KIND_F64;
  f64.value.f64 = 1.5;
  amqp_field_value_t yes{};
  yes.kind = AMQP_FIELD_KIND_BOOLEAN;
  yes.value.boolean = 1;
  amqp_field_value_t dec{};
  dec.kind = AMQP_FIELD_KIND_DECIMAL;
  dec.value.decimal = amqp_decimal_t{2, 12345};
  amqp_field_value_t ts{};
  ts.kind = AMQP_FIELD_KIND_TIMESTAMP;
  ts.value.u64 = 0;
  amqp_field_value_t nothing{};
  nothing.kind = AMQP_FIELD_KIND_VOID;
  Table t;
  t.add("t", table);
  t.add("a", array);
  t.add("f", f64);
  t.add("b", yes);
  t.add("d", dec);
  t.add("ts", ts);
  t.add("v", nothing);
  t.add("rr_id", utf8("x1"));
  t.add("rr_job", utf8("J"));
  OnTheWire wire;
  const auto d = decode_properties(wire.pass(t.props()), 10);
  const Headers& h = d.message.headers;
  CHECK(h.at("nested") == std::vector<std::string>{"n"});  // flattened, as RoadRunner does
  CHECK(h.count("t") == 0);
  CHECK(h.at("a") == std::vector<std::string>{"x", "y"});
  CHECK(h.at("f") == std::vector<std::string>{"1.50000"});
  CHECK(h.at("b") == std::vector<std::string>{"true"});
  CHECK(h.at("d") == std::vector<std::string>{"123.45"});
  CHECK(h.at("ts") == std::vector<std::string>{"1970-01-01T00:00:00Z"});
  CHECK(h.count("v") == 0);
  CHECK(d.warnings.size() == 1);
}

TEST_CASE("amqp rr_headers is also read from a long string and bad JSON is only a warning",
          "[amqp][wire]") {
  SECTION("php-amqp writes strings, never byte arrays") {
    Table t;
    t.add("rr_id", utf8("1"));
    t.add("rr_job", utf8("J"));
    t.add("rr_headers", utf8(R"({"k":["v"],"none":null})"));
    OnTheWire wire;
    const auto d = decode_properties(wire.pass(t.props()), 10);
    CHECK(d.message.headers.at("k") == std::vector<std::string>{"v"});
    CHECK(d.message.headers.at("none").empty());
    CHECK(d.warnings.empty());
  }
  SECTION("not JSON") {
    Table t;
    t.add("rr_headers", utf8("{nope"));
    OnTheWire wire;
    const auto d = decode_properties(wire.pass(t.props()), 10);
    REQUIRE(d.warnings.size() == 1);
    CHECK_THAT(d.warnings[0], Catch::Contains("rr_headers is not a JSON object"));
  }
  SECTION("a priority that is not a number keeps the pipeline's") {
    Table t;
    t.add("rr_priority", utf8("high"));
    OnTheWire wire;
    const auto d = decode_properties(wire.pass(t.props()), 9);
    CHECK(d.message.options.priority == 9);
    CHECK(d.warnings.size() == 1);
  }
}

TEST_CASE("amqp x-routing-key overrides the routing key once and leaves the job", "[amqp][wire]") {
  Headers h{{"x-routing-key", {"special"}}, {"k", {"v"}}};
  CHECK(take_routing_key(h, "default") == "special");
  CHECK(h.count("x-routing-key") == 0);
  CHECK(take_routing_key(h, "default") == "default");
  Headers empty_value{{"x-routing-key", {""}}};
  CHECK(take_routing_key(empty_value, "default") == "default");
  CHECK(empty_value.empty());
}

TEST_CASE("amqp text from the broker is made valid UTF-8 the way Go's JSON encoder does",
          "[amqp][wire]") {
  CHECK(valid_utf8("plain") == "plain");
  CHECK(valid_utf8("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(valid_utf8("a\xff"
                   "b") ==
        "a\xef\xbf\xbd"
        "b");
  CHECK(valid_utf8("\xc3") == "\xef\xbf\xbd");  // truncated sequence
  CHECK(valid_utf8("\xed\xa0\x80") == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
  CHECK(valid_utf8("\xf0\x9f\x98\x80") == "\xf0\x9f\x98\x80");
  Table t;
  amqp_field_value_t bin{};
  bin.kind = AMQP_FIELD_KIND_BYTES;
  const char raw[] = {'\x01', '\xfe', 'x'};
  bin.value.bytes = amqp_bytes_t{sizeof raw, const_cast<char*>(raw)};
  t.add("blob", bin);
  t.add("rr_id", utf8(""));  // empty: treated as missing
  OnTheWire wire;
  const auto d = decode_properties(wire.pass(t.props()), 10);
  CHECK(d.message.headers.at("blob") == std::vector<std::string>{"\x01\xef\xbf\xbdx"});
  CHECK_FALSE(d.has_rr_id);
  CHECK(d.message.id.size() == 36);
}
