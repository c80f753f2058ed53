#include "goridge/frame.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace g = coyote::host::goridge;

namespace {

std::vector<std::uint8_t> hex(const std::string& text) {
  std::vector<std::uint8_t> out;
  std::istringstream in(text);
  std::string byte;
  while (in >> byte) out.push_back(static_cast<std::uint8_t>(std::stoul(byte, nullptr, 16)));
  return out;
}

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

std::vector<std::uint8_t> cat(std::vector<std::uint8_t> a, const std::vector<std::uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<std::uint8_t> frame(std::uint8_t flags, std::vector<std::uint32_t> options,
                                std::string_view payload, std::uint8_t stream = 0) {
  auto s = g::encode_frame(flags, options, payload, stream);
  return {s.begin(), s.end()};
}

constexpr std::uint32_t kMax = 64u * 1024 * 1024;

}  // namespace

TEST_CASE("frame encoder reproduces the spec 1.6 byte examples", "[goridge]") {
  SECTION("host pid request") {
    CHECK(frame(0x09, {}, R"({"pid":12345})") ==
          cat(hex("13 09 0d 00 00 00 3a 6b fa cb 00 00"), bytes(R"({"pid":12345})")));
  }
  SECTION("worker pid reply with CONTROL only") {
    CHECK(frame(0x01, {}, R"({"pid":4242})") ==
          cat(hex("13 01 0c 00 00 00 9e 47 36 43 00 00"), bytes(R"({"pid":4242})")));
  }
  SECTION("host stop request") {
    CHECK(frame(0x09, {}, R"({"stop":true})") ==
          cat(hex("13 09 0d 00 00 00 3a 6b fa cb 00 00"), bytes(R"({"stop":true})")));
  }
  SECTION("job frame with one option word") {
    const std::string context =
        R"({"id":"1","job":"t","driver":"memory","headers":{},"pipeline":"p"})";
    REQUIRE(context.size() == 66);
    CHECK(frame(0x04, {66}, context + "hi") ==
          cat(cat(hex("14 04 44 00 00 00 84 88 73 c8 00 00 42 00 00 00"), bytes(context)),
              bytes("hi")));
  }
  SECTION("worker ack") {
    CHECK(frame(0x00, {0}, R"({"type":2,"data":[]})") ==
          cat(hex("14 00 14 00 00 00 e6 21 fe f6 00 00 00 00 00 00"),
              bytes(R"({"type":2,"data":[]})")));
  }
  SECTION("soft error") {
    CHECK(frame(0x40, {}, "boom") == hex("13 40 04 00 00 00 88 1e 11 e3 00 00 62 6f 6f 6d"));
  }
  SECTION("restart me") {
    CHECK(frame(0x00, {13}, R"({"stop":true})") ==
          cat(hex("14 00 0d 00 00 00 f3 39 ef db 00 00 0d 00 00 00"), bytes(R"({"stop":true})")));
  }
}

TEST_CASE("parse_header decodes the spec examples", "[goridge]") {
  SECTION("pid reply") {
    const auto data = cat(hex("13 01 0c 00 00 00 9e 47 36 43 00 00"), bytes(R"({"pid":4242})"));
    const auto r = g::parse_header(data, kMax);
    REQUIRE(r.status == g::ParseStatus::kOk);
    CHECK(r.header.version == 1);
    CHECK(r.header.flags == g::flag::kControl);
    CHECK(r.header.payload_length == 12);
    CHECK(r.header.option_count == 0);
    CHECK(r.header.header_size() == 12);
  }
  SECTION("restart me carries option 13") {
    const auto data = hex("14 00 0d 00 00 00 f3 39 ef db 00 00 0d 00 00 00");
    const auto r = g::parse_header(data, kMax);
    REQUIRE(r.status == g::ParseStatus::kOk);
    REQUIRE(r.header.option_count == 1);
    CHECK(r.header.options[0] == 13);
    CHECK(r.header.frame_size() == 16 + 13);
  }
  SECTION("stream bit is reported") {
    const auto data = frame(0x00, {0}, "x", g::stream_flag::kStream);
    const auto r = g::parse_header(data, kMax);
    REQUIRE(r.status == g::ParseStatus::kOk);
    CHECK(r.header.stream == g::stream_flag::kStream);
  }
}

TEST_CASE("parse_header asks for more bytes until the header is complete", "[goridge]") {
  const auto data = frame(0x04, {3, 7}, "abcdefghij");
  SECTION("fewer than 12 bytes") {
    for (std::size_t n = 0; n < 12; ++n) {
      const auto r = g::parse_header({data.data(), n}, kMax);
      CHECK(r.status == g::ParseStatus::kNeedMore);
      CHECK(r.needed == 12);
    }
  }
  SECTION("options not yet complete") {
    const auto r = g::parse_header({data.data(), 15}, kMax);
    CHECK(r.status == g::ParseStatus::kNeedMore);
    CHECK(r.needed == 20);
  }
  SECTION("payload need not be present") {
    const auto r = g::parse_header({data.data(), 20}, kMax);
    REQUIRE(r.status == g::ParseStatus::kOk);
    CHECK(r.header.options[0] == 3);
    CHECK(r.header.options[1] == 7);
  }
}

TEST_CASE("parse_header rejects corrupt headers with a message that says why", "[goridge]") {
  SECTION("bad CRC quotes the offending bytes in hex") {
    const auto data = bytes("hello world, this is print() output\n");
    const auto r = g::parse_header(data, kMax);
    REQUIRE(r.status == g::ParseStatus::kInvalid);
    CHECK(r.problem == g::ParseProblem::kBadCrc);
    CHECK_THAT(r.error, Catch::Contains("CRC mismatch"));
    CHECK_THAT(r.error, Catch::Contains("68 65 6c 6c 6f"));
    CHECK_THAT(r.error, Catch::Contains("hello world"));
  }
  SECTION("PHP's 'Could not open input file' is recognised") {
    const auto data = bytes("Could not open input file: worker.php\n");
    const auto r = g::parse_header(data, kMax);
    REQUIRE(r.status == g::ParseStatus::kInvalid);
    CHECK_THAT(r.error, Catch::Contains("worker script was not found"));
    CHECK_THAT(r.error, Catch::Contains("worker.php"));
  }
  SECTION("header length below 3 words") {
    auto data = frame(0x04, {}, "");
    data[0] = 0x12;
    const auto crc = g::header_crc(data.data());
    data[6] = static_cast<std::uint8_t>(crc);
    data[7] = static_cast<std::uint8_t>(crc >> 8);
    data[8] = static_cast<std::uint8_t>(crc >> 16);
    data[9] = static_cast<std::uint8_t>(crc >> 24);
    const auto r = g::parse_header(data, kMax);
    REQUIRE(r.status == g::ParseStatus::kInvalid);
    CHECK_THAT(r.error, Catch::Contains("below 3"));
  }
  SECTION("payload above the limit") {
    const auto data = frame(0x04, {0}, std::string(100, 'x'));
    const auto r = g::parse_header(data, 99);
    REQUIRE(r.status == g::ParseStatus::kInvalid);
    CHECK_THAT(r.error, Catch::Contains("exceeds the limit of 99 bytes"));
  }
}

TEST_CASE("encode then parse round-trips flags, options, stream byte and payload", "[goridge]") {
  for (std::size_t options = 0; options <= g::kMaxOptions; ++options) {
    std::vector<std::uint32_t> opts;
    for (std::size_t i = 0; i < options; ++i) opts.push_back(static_cast<std::uint32_t>(i * 977));
    const std::string payload(options * 31, 'p');
    const auto data = frame(0xC9, opts, payload, 0x05);
    const auto r = g::parse_header(data, kMax);
    REQUIRE(r.status == g::ParseStatus::kOk);
    CHECK(r.header.flags == 0xC9);
    CHECK(r.header.stream == 0x05);
    CHECK(r.header.option_count == options);
    for (std::size_t i = 0; i < options; ++i) CHECK(r.header.options[i] == opts[i]);
    CHECK(r.header.frame_size() == data.size());
    CHECK(std::string(data.begin() + static_cast<long>(r.header.header_size()), data.end()) ==
          payload);
  }
}
