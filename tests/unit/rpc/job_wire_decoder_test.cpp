// The direct jobs.PushBatch / jobs.Push decoder: every wire rule checked against libprotobuf.
#include "rpc/job_wire_decoder.hpp"
#include "rpc/jobs_codec.hpp"
#include "support/libprotobuf_jobs.hpp"

#include <google/protobuf/stubs/logging.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace rpc = coyote::host::rpc;
namespace test = coyote::test;
using coyote::sdk::Message;

namespace {

std::string varint(std::uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
std::string tag(std::uint32_t field, std::uint32_t wire) { return varint(field << 3 | wire); }
std::string len(std::uint32_t field, const std::string& bytes) {
  return tag(field, 2) + varint(bytes.size()) + bytes;
}
std::string num(std::uint32_t field, std::uint64_t v) { return tag(field, 0) + varint(v); }
std::string batch_of(const std::string& job) { return len(1, job); }
std::string entry(const std::string& key, const std::vector<std::string>& values) {
  std::string hv;
  for (const auto& v : values) hv += len(1, v);
  return len(4, len(1, key) + len(2, hv));
}

void quiet(google::protobuf::LogLevel, const char*, int, const std::string&) {}

// Decodes `body` as a PushBatchRequest and as a PushRequest with both decoders, requires the same
// verdict and content from each, and returns whether libprotobuf accepted the batch.
bool same_as_libprotobuf(const std::string& body) {
  static const bool installed = (google::protobuf::SetLogHandler(&quiet), true);
  (void)installed;
  std::vector<Message> expected;
  std::vector<Message> actual;
  const bool lib_ok = test::libprotobuf_push_batch(body, expected);
  const auto status = rpc::decode_push_batch_wire(body, actual);
  INFO("our verdict: " << (status ? std::string("ok") : status.message()));
  REQUIRE(lib_ok == static_cast<bool>(status));
  REQUIRE(expected.size() == actual.size());
  for (std::size_t i = 0; i < expected.size(); ++i)
    CHECK(test::same_message(expected[i], actual[i]));

  Message one_expected;
  Message one_actual;
  const bool lib_one = test::libprotobuf_push(body, one_expected);
  REQUIRE(lib_one == static_cast<bool>(rpc::decode_push_wire(body, one_actual)));
  if (lib_one) CHECK(test::same_message(one_expected, one_actual));
  return lib_ok;
}

Message decoded_one(const std::string& body) {
  std::vector<Message> out;
  REQUIRE(rpc::decode_push_batch_wire(body, out));
  REQUIRE(out.size() == 1);
  return out[0];
}

}  // namespace

TEST_CASE("direct decoder reads what the proto encoder writes, headers and options included",
          "[rpc][wire]") {
  Message m;
  m.name = "App\\Jobs\\SendMail";
  m.id = "0b7e4a52-8f3c-4d7e-9a1b-2c3d4e5f6a7b";
  m.payload = std::string("bin\0ary\xff", 8);
  m.headers["k"] = {"v", "w"};
  m.headers["empty"] = {};
  m.options = {7, "pipe", 30, true, "topic", "meta", -5, -3};
  const std::string body = rpc::encode_push_batch_request(rpc::Codec::kProto, {m, m, Message{}});
  REQUIRE(same_as_libprotobuf(body));
  std::vector<Message> out;
  REQUIRE(rpc::decode_push_batch_request(rpc::Codec::kProto, body, out));
  REQUIRE(out.size() == 3);
  CHECK(test::same_message(out[0], m));
  CHECK(test::same_message(out[2], Message{}));
  Message one;
  REQUIRE(rpc::decode_push_request(rpc::Codec::kProto,
                                   rpc::encode_push_request(rpc::Codec::kProto, m), one));
  CHECK(test::same_message(one, m));
}

TEST_CASE("direct decoder accepts an empty body and empty jobs", "[rpc][wire]") {
  CHECK(same_as_libprotobuf(""));
  CHECK(same_as_libprotobuf(batch_of("") + batch_of("")));
}

TEST_CASE("direct decoder skips unknown fields of every wire type at every level", "[rpc][wire]") {
  const std::string unknown = num(15, 300) + tag(16, 1) + std::string(8, 'x') + len(17, "abc") +
                              tag(18, 3) + num(1, 1) + len(2, "in") + tag(18, 4) + tag(19, 5) +
                              std::string(4, 'y');
  const std::string options = len(5, unknown + len(2, "p") + unknown);
  const std::string header = len(4, unknown + len(1, "k") + len(2, unknown + len(1, "v")));
  const Message m = decoded_one(unknown + batch_of(unknown + len(2, "id") + options + header));
  CHECK(same_as_libprotobuf(unknown + batch_of(unknown + len(2, "id") + options + header)));
  CHECK(m.id == "id");
  CHECK(m.options.pipeline == "p");
  CHECK(m.headers.at("k") == std::vector<std::string>{"v"});
}

TEST_CASE("direct decoder treats a known field with another wire type as unknown", "[rpc][wire]") {
  // priority as a length-delimited field, the job name as a varint, jobs as fixed32.
  CHECK(same_as_libprotobuf(batch_of(len(5, len(1, "xx")) + num(1, 5)) + tag(1, 5) + "abcd"));
  CHECK(decoded_one(batch_of(len(5, len(1, "xx")) + num(1, 5))).options.priority == 0);
}

TEST_CASE("direct decoder refuses broken groups, zero tags, field 0 and wire types 6 and 7",
          "[rpc][wire]") {
  CHECK_FALSE(same_as_libprotobuf(tag(5, 3) + num(1, 1)));                    // unterminated group
  CHECK_FALSE(same_as_libprotobuf(tag(5, 3) + tag(6, 4)));                    // mismatched end
  CHECK_FALSE(same_as_libprotobuf(tag(5, 4)));                                // end without start
  CHECK_FALSE(same_as_libprotobuf(batch_of(tag(9, 4))));                      // end inside a job
  CHECK_FALSE(same_as_libprotobuf(std::string(1, '\0')));                     // zero tag
  CHECK_FALSE(same_as_libprotobuf(batch_of(std::string(1, '\0'))));           // zero tag in a job
  CHECK_FALSE(same_as_libprotobuf(tag(0, 0) + varint(1)));                    // field 0 (tag 0)
  CHECK_FALSE(same_as_libprotobuf(tag(0, 2) + varint(0)));                    // field 0, length
  CHECK_FALSE(same_as_libprotobuf(tag(0, 3) + tag(0, 4)));                    // field 0, group
  CHECK_FALSE(same_as_libprotobuf(tag(3, 6)));                                // wire type 6
  CHECK_FALSE(same_as_libprotobuf(tag(3, 7)));                                // wire type 7
  CHECK(same_as_libprotobuf(tag(5, 3) + tag(6, 3) + tag(6, 4) + tag(5, 4)));  // nested groups
  CHECK_FALSE(same_as_libprotobuf(tag(5, 3) + tag(0, 0) + tag(5, 4)));        // zero tag in a group
}

TEST_CASE("direct decoder keeps the last of a repeated singular field and merges messages",
          "[rpc][wire]") {
  const std::string job = len(1, "first") + len(1, "second") + len(3, "p1") + len(3, "p2") +
                          len(5, num(1, 3) + len(2, "a")) + len(5, num(3, 9)) + len(5, num(1, 4));
  REQUIRE(same_as_libprotobuf(batch_of(job)));
  const Message m = decoded_one(batch_of(job));
  CHECK(m.name == "second");
  CHECK(m.payload == "p2");
  CHECK(m.options.priority == 4);
  CHECK(m.options.pipeline == "a");
  CHECK(m.options.delay_seconds == 9);
  // jobs.Push: a repeated `job` merges into one.
  const std::string push = len(1, len(2, "id") + entry("a", {"1"})) +
                           len(1, len(1, "name") + entry("b", {"2"}) + entry("a", {"3"}));
  REQUIRE(same_as_libprotobuf(push));
  Message one;
  REQUIRE(rpc::decode_push_wire(push, one));
  CHECK(one.id == "id");
  CHECK(one.name == "name");
  CHECK(one.headers.at("a") == std::vector<std::string>{"3"});
  CHECK(one.headers.at("b") == std::vector<std::string>{"2"});
}

TEST_CASE("direct decoder reads varints like libprotobuf: 10 bytes, overlong, truncated to int32",
          "[rpc][wire]") {
  const auto options = [](const std::string& bytes) { return batch_of(len(5, bytes)); };
  // A negative int32 comes sign-extended in 10 bytes.
  REQUIRE(same_as_libprotobuf(options(num(10, static_cast<std::uint64_t>(-3)))));
  CHECK(decoded_one(options(num(10, static_cast<std::uint64_t>(-3)))).options.partition == -3);
  // A 64-bit value in an int32 keeps its low 32 bits.
  REQUIRE(same_as_libprotobuf(options(num(10, 0x1'0000'0007ULL))));
  CHECK(decoded_one(options(num(10, 0x1'0000'0007ULL))).options.partition == 7);
  CHECK(same_as_libprotobuf(options(num(1, static_cast<std::uint64_t>(INT64_MIN)))));
  // Overlong: 1 written in 10 bytes; the 10th byte's high bits are dropped.
  const std::string overlong("\x81\x80\x80\x80\x80\x80\x80\x80\x80\x00", 10);
  CHECK(same_as_libprotobuf(options(tag(1, 0) + overlong)));
  CHECK(same_as_libprotobuf(
      options(tag(1, 0) + std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10))));
  // 11 bytes and truncated varints are refused.
  CHECK_FALSE(same_as_libprotobuf(
      options(tag(1, 0) + std::string("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 11))));
  CHECK_FALSE(same_as_libprotobuf(options(tag(1, 0) + "\x80")));
  CHECK_FALSE(same_as_libprotobuf(tag(1, 0) + "\x80"));
  // auto_ack: any non-zero varint is true, even one whose low 32 bits are zero.
  CHECK(same_as_libprotobuf(options(num(6, 1ULL << 40))));
  CHECK(decoded_one(options(num(6, 1ULL << 40))).options.auto_ack);
}

TEST_CASE("direct decoder reads overlong tags and lengths up to libprotobuf's byte limits",
          "[rpc][wire]") {
  const std::string job = len(2, "id");
  // Tag 10 (jobs) written in 5 bytes; in 6 bytes it is refused.
  CHECK(same_as_libprotobuf(std::string("\x8a\x80\x80\x80\x00", 5) + varint(job.size()) + job));
  CHECK_FALSE(
      same_as_libprotobuf(std::string("\x8a\x80\x80\x80\x80\x00", 6) + varint(job.size()) + job));
  // A tag above 2^32 wraps: its low 32 bits are tag 10.
  CHECK(same_as_libprotobuf(std::string("\x8a\x80\x80\x80\x10", 5) + varint(job.size()) + job));
  // A length in 5 bytes is fine, in 6 refused; lengths beyond the end are refused.
  CHECK(same_as_libprotobuf(tag(1, 2) + std::string("\x84\x80\x80\x80\x00", 5) + job));
  CHECK_FALSE(same_as_libprotobuf(tag(1, 2) + std::string("\x84\x80\x80\x80\x80\x00", 6) + job));
  CHECK_FALSE(same_as_libprotobuf(tag(1, 2) + varint(job.size() + 1) + job));
  CHECK_FALSE(same_as_libprotobuf(tag(1, 2) + std::string("\xff\xff\xff\xff\x07", 5) + job));
  // A field that crosses the end of its embedded message is refused.
  CHECK_FALSE(same_as_libprotobuf(tag(1, 2) + varint(2) + tag(2, 2) + varint(3) + "abc"));
}

TEST_CASE("direct decoder handles header map entries with missing, repeated and reordered parts",
          "[rpc][wire]") {
  const std::string hv = len(1, "v");
  const std::string job = len(4, len(2, hv)) +                              // no key: ""
                          len(4, len(1, "nokey-value")) +                   // no value: []
                          len(4, len(2, hv) + len(1, "late")) +             // value before key
                          len(4, len(1, "a") + len(1, "b") + len(2, hv)) +  // key twice: b
                          len(4, len(1, "m") + len(2, hv) + len(2, len(1, "w"))) +  // value merges
                          entry("d", {"1"}) + entry("d", {"2", "3"}) +  // last entry wins
                          len(4, "");                                   // all missing
  REQUIRE(same_as_libprotobuf(batch_of(job)));
  const Message m = decoded_one(batch_of(job));
  CHECK(m.headers.at("") == std::vector<std::string>{});
  CHECK(m.headers.at("nokey-value").empty());
  CHECK(m.headers.at("late") == std::vector<std::string>{"v"});
  CHECK(m.headers.count("a") == 0);
  CHECK(m.headers.at("b") == std::vector<std::string>{"v"});
  CHECK(m.headers.at("m") == std::vector<std::string>{"v", "w"});
  CHECK(m.headers.at("d") == std::vector<std::string>{"2", "3"});
}

TEST_CASE(
    "direct decoder refuses invalid UTF-8 in string fields and keeps bytes fields as they are",
    "[rpc][wire]") {
  // Not a lead byte, overlong NUL and 3-byte forms, a surrogate, above U+10FFFF, a 5-byte form,
  // cut-off sequences, a stray continuation byte.
  const std::vector<std::string> invalid = {
      "\xff",         "\xc0\x80",         "\xe0\x80\x80",
      "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80",
      "\xc3",         "\xe2\x82",         "abc\x80"};
  for (const auto& bad : invalid) {
    INFO("bytes: " << bad.size());
    CHECK_FALSE(same_as_libprotobuf(batch_of(len(1, bad))));
    CHECK_FALSE(same_as_libprotobuf(batch_of(len(2, bad))));
    CHECK_FALSE(same_as_libprotobuf(batch_of(len(5, len(2, bad)))));
    CHECK_FALSE(same_as_libprotobuf(batch_of(len(5, len(7, bad)))));
    CHECK_FALSE(same_as_libprotobuf(batch_of(len(5, len(8, bad)))));
    CHECK_FALSE(same_as_libprotobuf(batch_of(entry(bad, {"v"}))));
    CHECK_FALSE(same_as_libprotobuf(batch_of(entry("k", {bad}))));
    // An invalid value refused even when a later one would replace it.
    CHECK_FALSE(same_as_libprotobuf(batch_of(len(1, bad) + len(1, "ok"))));
    CHECK(same_as_libprotobuf(batch_of(len(3, bad))));  // payload is bytes
  }
  const std::string valid = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xed\x9f\xbf";
  REQUIRE(same_as_libprotobuf(batch_of(len(1, valid) + entry(valid, {valid}))));
  CHECK(decoded_one(batch_of(len(1, valid))).name == valid);
}

TEST_CASE("direct decoder stops nesting where libprotobuf's recursion limit does", "[rpc][wire]") {
  // Groups in a header value, the deepest spot of a job: find libprotobuf's limit and match it.
  bool accepted_some = false;
  bool refused_some = false;
  for (int depth = 90; depth <= 102; ++depth) {
    std::string groups;
    for (int i = 0; i < depth; ++i) groups += tag(9, 3);
    for (int i = 0; i < depth; ++i) groups += tag(9, 4);
    const bool ok = same_as_libprotobuf(batch_of(len(4, len(2, groups))));
    accepted_some = accepted_some || ok;
    refused_some = refused_some || !ok;
  }
  CHECK(accepted_some);
  CHECK(refused_some);
}
