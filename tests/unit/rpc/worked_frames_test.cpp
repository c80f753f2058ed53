// Spec 4.8 worked RPC frames, byte for byte.
#include "goridge/frame.hpp"
#include "rpc/jobs_codec.hpp"
#include "rpc/request.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace rpc = coyote::host::rpc;

namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

std::span<const std::uint8_t> as_span(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

TEST_CASE("jobs.List request from PHP encodes to the spec's bytes and parses back", "[rpc]") {
  const std::string expected = bytes({0x15, 0x80, 0x09, 0x00, 0x00, 0x00, 0x93, 0xcd, 0x37, 0x2e,
                                      0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00}) +
                               "jobs.List";
  CHECK(rpc::encode_request(1, 0x80, "jobs.List", "") == expected);

  const auto parsed = rpc::parse_request(as_span(expected), 1024);
  REQUIRE(parsed);
  CHECK(parsed->seq == 1);
  CHECK(parsed->codec == rpc::Codec::kProto);
  CHECK(parsed->method == "jobs.List");
  CHECK(parsed->body.empty());
}

TEST_CASE("jobs.Push request encodes PushRequest and the frame as in the spec", "[rpc]") {
  coyote::sdk::Message m;
  m.name = "t";
  m.id = "1";
  m.payload = "hi";
  m.options.pipeline = "test";
  const std::string body = rpc::encode_push_request(rpc::Codec::kProto, m);
  CHECK(body == bytes({0x0a, 0x12, 0x0a, 0x01, 0x74, 0x12, 0x01, 0x31, 0x1a, 0x02,
                       0x68, 0x69, 0x2a, 0x06, 0x12, 0x04, 0x74, 0x65, 0x73, 0x74}));

  const std::string frame = rpc::encode_request(1, 0x80, "jobs.Push", body);
  CHECK(frame.substr(0, 20) == bytes({0x15, 0x80, 0x1d, 0x00, 0x00, 0x00, 0x5b, 0x0d, 0x4c, 0xf1,
                                      0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00}));
  CHECK(frame.substr(20) == "jobs.Push" + body);

  SECTION("the success reply is the method name alone") {
    CHECK(rpc::encode_reply(1, rpc::Codec::kProto, "jobs.Push", "") ==
          bytes({0x15, 0x80, 0x09, 0x00, 0x00, 0x00, 0x93, 0xcd, 0x37, 0x2e,
                 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00}) +
              "jobs.Push");
  }
  SECTION("decoding the PushRequest gives the job back") {
    coyote::sdk::Message back;
    REQUIRE(rpc::decode_push_request(rpc::Codec::kProto, body, back));
    CHECK(back.name == "t");
    CHECK(back.id == "1");
    CHECK(back.payload == "hi");
    CHECK(back.options.pipeline == "test");
  }
}

TEST_CASE("informer.Workers JSON request matches the spec's bytes", "[rpc]") {
  const std::string expected = bytes({0x15, 0x08, 0x16, 0x00, 0x00, 0x00, 0x09, 0x71, 0xdb, 0xa7,
                                      0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00}) +
                               "informer.Workers\"jobs\"";
  CHECK(rpc::encode_request(1, 0x08, "informer.Workers", "\"jobs\"") == expected);
  const auto parsed = rpc::parse_request(as_span(expected), 1024);
  REQUIRE(parsed);
  CHECK(parsed->codec == rpc::Codec::kJson);
  CHECK(parsed->method == "informer.Workers");
  CHECK(parsed->body == "\"jobs\"");
}

TEST_CASE("error replies carry codec|ERROR and method name followed by the text", "[rpc]") {
  const std::string frame = rpc::encode_error(7, rpc::Codec::kJson, "jobs.Nope", "boom");
  const auto parsed = rpc::parse_request(as_span(frame), 1024);
  REQUIRE(parsed);
  CHECK(static_cast<std::uint8_t>(frame[1]) == 0x48);
  CHECK(parsed->seq == 7);
  CHECK(parsed->method == "jobs.Nope");
  CHECK(parsed->body == "boom");
}

TEST_CASE("codec is chosen by precedence, never echoing gob", "[rpc]") {
  CHECK(rpc::choose_codec(0xA0) == rpc::Codec::kProto);
  CHECK(rpc::choose_codec(0x88) == rpc::Codec::kProto);
  CHECK(rpc::choose_codec(0x0C) == rpc::Codec::kJson);
  CHECK(rpc::choose_codec(0x34) == rpc::Codec::kRaw);
  CHECK(rpc::choose_codec(0x30) == rpc::Codec::kMsgpack);
  CHECK(rpc::choose_codec(0x20) == rpc::Codec::kGob);
  CHECK(rpc::choose_codec(0x00) == rpc::Codec::kGob);
}

TEST_CASE("parse_request rejects header errors", "[rpc]") {
  SECTION("wrong option count") {
    const std::uint32_t opts[] = {1};
    const std::string frame = coyote::host::goridge::encode_frame(0x80, opts, "jobs.List");
    const auto parsed = rpc::parse_request(as_span(frame), 1024);
    CHECK_FALSE(parsed);
    CHECK_THAT(parsed.error(), Catch::Contains("should be 2 options"));
  }
  SECTION("method length beyond the payload") {
    const std::uint32_t opts[] = {1, 50};
    const std::string frame = coyote::host::goridge::encode_frame(0x80, opts, "jobs.List");
    CHECK_FALSE(rpc::parse_request(as_span(frame), 1024).is_ok());
  }
  SECTION("bad CRC") {
    std::string frame = rpc::encode_request(1, 0x80, "jobs.List", "");
    frame[6] = static_cast<char>(frame[6] ^ 0xff);
    const auto parsed = rpc::parse_request(as_span(frame), 1024);
    CHECK_FALSE(parsed);
    CHECK_THAT(parsed.error(), Catch::Contains("CRC"));
  }
  SECTION("payload over the limit") {
    const std::string frame = rpc::encode_request(1, 0x80, "jobs.List", std::string(100, 'x'));
    CHECK_FALSE(rpc::parse_request(as_span(frame), 64).is_ok());
  }
  SECTION("truncated frame") {
    const std::string frame = rpc::encode_request(1, 0x80, "jobs.List", "");
    CHECK_FALSE(rpc::parse_request(as_span(frame).first(frame.size() - 1), 1024).is_ok());
  }
}
