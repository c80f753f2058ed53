#include "goridge/frame_buffer.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

namespace g = coyote::host::goridge;
using coyote::host::goridge::FrameBuffer;

namespace {

std::span<const std::uint8_t> span_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

TEST_CASE("frame buffer yields every frame of a stream fed in arbitrary pieces", "[goridge]") {
  std::string stream;
  std::vector<std::string> payloads;
  for (int i = 0; i < 20; ++i) {
    payloads.push_back(std::string(static_cast<std::size_t>(i * 13), static_cast<char>('a' + i)));
    const std::uint32_t opt[1] = {static_cast<std::uint32_t>(i)};
    stream += g::encode_frame(0, opt, payloads.back());
  }
  for (std::size_t piece : {std::size_t{1}, std::size_t{5}, std::size_t{12}, std::size_t{4096}}) {
    FrameBuffer buffer(1 << 20);
    std::vector<std::string> got;
    for (std::size_t at = 0; at < stream.size(); at += piece) {
      buffer.append(span_of(stream.substr(at, piece)));
      for (;;) {
        auto next = buffer.next();
        REQUIRE(next);
        if (!*next) break;
        CHECK((*next)->header.options[0] == got.size());
        got.emplace_back((*next)->payload);
      }
    }
    CHECK(got == payloads);
    CHECK(buffer.buffered() == 0);
  }
}

TEST_CASE("frame buffer stays broken after a corrupt frame", "[goridge]") {
  FrameBuffer buffer(1 << 20);
  const std::string good = g::encode_frame(0x01, {}, R"({"pid":1})");
  buffer.append(span_of(good + "garbage that is not a frame header"));
  auto first = buffer.next();
  REQUIRE(first);
  REQUIRE(*first);
  CHECK((*first)->payload == R"({"pid":1})");
  const auto corrupt = buffer.next();
  REQUIRE_FALSE(corrupt);
  CHECK_THAT(corrupt.error(), Catch::Contains("67 61 72 62"));
  CHECK(buffer.problem() == g::ParseProblem::kBadCrc);
  // The raw reason only: each transport adds its own hint (a worker's is about stdout).
  CHECK_THAT(corrupt.error(), !Catch::Contains("STDOUT"));
  buffer.append(span_of(good));
  const auto still = buffer.next();
  CHECK_FALSE(still);
  CHECK(still.error() == corrupt.error());
}

TEST_CASE("frame buffer rejects a frame above its size limit before reading the payload",
          "[goridge]") {
  FrameBuffer buffer(1024);
  const std::string big = g::encode_frame(0, std::vector<std::uint32_t>{0}, std::string(2048, 'x'));
  buffer.append(span_of(big.substr(0, 16)));
  const auto refused = buffer.next();
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error(), Catch::Contains("exceeds the limit of 1024 bytes"));
  CHECK(buffer.problem() == g::ParseProblem::kTooLarge);
}

TEST_CASE("frame buffer prepare() makes room for a large pending frame", "[goridge]") {
  FrameBuffer buffer(1 << 24);
  const std::string big =
      g::encode_frame(0, std::vector<std::uint32_t>{0}, std::string(1 << 20, 'z'));
  buffer.append(span_of(big.substr(0, 100)));
  auto pending = buffer.next();
  REQUIRE(pending);
  REQUIRE_FALSE(*pending);
  auto space = buffer.prepare(16);
  CHECK(space.size() >= big.size() - 100);
  std::memcpy(space.data(), big.data() + 100, big.size() - 100);
  buffer.commit(big.size() - 100);
  auto whole = buffer.next();
  REQUIRE(whole);
  REQUIRE(*whole);
  CHECK((*whole)->payload.size() == (1u << 20));
}

TEST_CASE("frame buffer gives back the memory of a big frame once it is consumed", "[goridge]") {
  FrameBuffer buffer(1 << 24);
  const std::string big =
      g::encode_frame(0, std::vector<std::uint32_t>{0}, std::string(1 << 20, 'z'));
  buffer.append(span_of(big));
  auto whole = buffer.next();
  REQUIRE(whole);
  REQUIRE(*whole);
  CHECK(buffer.buffered() == 0);
  CHECK(buffer.prepare().size() == FrameBuffer::kReadSize);
}
