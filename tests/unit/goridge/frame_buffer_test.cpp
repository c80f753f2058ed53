#include "goridge/frame_buffer.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
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

TEST_CASE("frame buffer grows towards a large pending frame as its bytes arrive", "[goridge]") {
  FrameBuffer buffer(1 << 24);
  const std::string big =
      g::encode_frame(0, std::vector<std::uint32_t>{0}, std::string(1 << 20, 'z'));
  buffer.append(span_of(big.substr(0, 100)));
  auto pending = buffer.next();
  REQUIRE(pending);
  REQUIRE_FALSE(*pending);
  std::size_t at = 100;
  while (at < big.size()) {
    auto space = buffer.prepare(16);
    // Never more room than twice what is buffered (plus the minimum), whatever the header says.
    CHECK(buffer.capacity() <= 2 * buffer.buffered() + FrameBuffer::kReadSize);
    const std::size_t n = std::min(space.size(), big.size() - at);
    std::memcpy(space.data(), big.data() + at, n);
    buffer.commit(n);
    at += n;
    auto next = buffer.next();
    REQUIRE(next);
    if (at < big.size()) CHECK_FALSE(*next);
    if (at == big.size()) {
      REQUIRE(*next);
      CHECK((*next)->payload.size() == (1u << 20));
    }
  }
}

TEST_CASE("a header that announces 64 MiB costs what has arrived, not 64 MiB", "[goridge]") {
  FrameBuffer buffer(64u << 20);
  const std::string header =
      g::encode_frame(0x80, std::vector<std::uint32_t>{1, 9}, std::string(64u << 20, 'x'))
          .substr(0, 20);
  buffer.append(span_of(header));
  auto pending = buffer.next();
  REQUIRE(pending);
  REQUIRE_FALSE(*pending);
  CHECK(buffer.capacity_after_prepare() <= 2 * FrameBuffer::kReadSize);
  (void)buffer.prepare();
  CHECK(buffer.capacity() <= 2 * FrameBuffer::kReadSize);
}

TEST_CASE("capacity_after_prepare predicts what prepare allocates", "[goridge]") {
  FrameBuffer buffer(1 << 24);
  const std::string big =
      g::encode_frame(0, std::vector<std::uint32_t>{0}, std::string(3 << 20, 'q'));
  std::size_t at = 0;
  while (at < big.size()) {
    const std::size_t predicted = buffer.capacity_after_prepare(4096);
    auto space = buffer.prepare(4096);
    CHECK(buffer.capacity() == predicted);
    const std::size_t n = std::min(space.size(), big.size() - at);
    std::memcpy(space.data(), big.data() + at, n);
    buffer.commit(n);
    at += n;
    REQUIRE(buffer.next());
  }
}

TEST_CASE("an empty frame buffer can release all its memory", "[goridge]") {
  FrameBuffer buffer(1 << 20);
  (void)buffer.prepare();
  CHECK(buffer.capacity() >= FrameBuffer::kReadSize);
  buffer.release();
  CHECK(buffer.capacity() == 0);
  const std::string frame = g::encode_frame(0, std::vector<std::uint32_t>{7}, "abc");
  buffer.append(span_of(frame));
  buffer.release();  // something is buffered: kept
  auto next = buffer.next();
  REQUIRE(next);
  REQUIRE(*next);
  CHECK((*next)->payload == "abc");
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

TEST_CASE("frame buffer says how many bytes the frame being assembled still misses", "[goridge]") {
  g::FrameBuffer buf(1 << 20);
  const std::string frame =
      g::encode_frame(0, std::vector<std::uint32_t>{0}, std::string(5000, 'm'));
  CHECK(buf.missing() == 0);  // nothing here
  buf.append(span_of(frame.substr(0, 6)));
  REQUIRE(buf.next());
  const std::size_t header_rest = buf.missing();
  CHECK(header_rest > 0);  // the header is not whole: what is known is the header's own rest
  buf.append(span_of(frame.substr(6, 994)));
  REQUIRE(buf.next());
  CHECK(buf.missing() == frame.size() - 1000);
  // Read straight into the buffer, as the RPC server does for a request partly here.
  const std::size_t want = buf.missing();
  auto space = buf.prepare(want);
  REQUIRE(space.size() >= want);
  std::memcpy(space.data(), frame.data() + 1000, want);
  buf.commit(want);
  auto next = buf.next();
  REQUIRE(next);
  REQUIRE(*next);
  CHECK((*next)->payload == std::string(5000, 'm'));
  CHECK(buf.missing() == 0);
}
