#include "memory/packed_message.hpp"

#include <catch2/catch.hpp>

using coyote::drivers::memory::PackedMessage;

namespace {

coyote::sdk::Message full_message() {
  coyote::sdk::Message m;
  m.id = "3f0c2d1e-6a7b-4c8d-9e0f-112233445566";
  m.name = "App\\Jobs\\SendInvoiceEmail";
  m.payload = std::string("binary\0payload", 14);
  m.headers = {{"tenant", {"acme", "eu"}}, {"trace", {"abc"}}};
  m.options.pipeline = "whatever the producer said";
  m.options.priority = 7;
  m.options.auto_ack = true;
  return m;
}

}  // namespace

TEST_CASE("a packed job unpacks to the same id, name, payload, headers and options",
          "[memory][packed]") {
  auto original = full_message();
  auto copy = original;
  auto packed = PackedMessage::pack(std::move(copy), true);
  CHECK(copy.payload.empty());  // the source gave its bytes away
  CHECK(copy.headers.empty());
  CHECK(packed.delayed());
  CHECK(packed.id() == original.id);
  CHECK(packed.name() == original.name);
  CHECK(packed.payload() == original.payload);  // embedded NUL kept

  const auto back = packed.unpack("mem");
  CHECK(back.id == original.id);
  CHECK(back.name == original.name);
  CHECK(back.payload == original.payload);
  CHECK(back.headers == original.headers);
  CHECK(back.options.priority == 7);
  CHECK(back.options.auto_ack);
  CHECK(back.options.pipeline == "mem");  // the pipeline holding the job, not the pushed text
  CHECK(back.options.delay_seconds == 0);
  CHECK(packed.id().empty());  // unpack empties it
}

TEST_CASE("an empty job packs without a heap block and round-trips", "[memory][packed]") {
  auto packed = PackedMessage::pack(coyote::sdk::Message{}, false);
  CHECK_FALSE(packed.delayed());
  CHECK(packed.payload().empty());
  const auto back = packed.unpack("p");
  CHECK(back.id.empty());
  CHECK(back.name.empty());
  CHECK(back.payload.empty());
  CHECK(back.headers.empty());
  CHECK(back.options.pipeline == "p");
}

TEST_CASE("a packed job is small enough for a million to wait in a paused pipeline",
          "[memory][packed]") {
  // The benchmark's goal is 200 bytes per queued job beyond the payload; the fixed part must
  // leave room for the two heap blocks' headers (id + name, payload) and the FIFO's own slot.
  STATIC_REQUIRE(sizeof(PackedMessage) <= 72);
}

TEST_CASE("a packed job keeps the payload's own bytes through pack and unpack, not a copy",
          "[memory][packed]") {
  coyote::sdk::Message m;
  m.id = "job-1";
  m.payload = std::string(1000, 'p');
  const char* bytes = m.payload.data();
  auto packed = PackedMessage::pack(std::move(m), false);
  CHECK(packed.payload().data() == bytes);
  const auto back = packed.unpack("p");
  CHECK(back.payload.data() == bytes);
  CHECK(back.payload == std::string(1000, 'p'));
}

TEST_CASE("a packed job gives a payload's spare capacity back", "[memory][packed]") {
  coyote::sdk::Message m;
  m.payload.reserve(1 << 16);
  m.payload = "small";
  m.payload.append(100, 'x');
  auto packed = PackedMessage::pack(std::move(m), false);
  const auto back = packed.unpack("p");
  CHECK(back.payload.size() == 105);
  CHECK(back.payload.capacity() < 1000);
}
