// libFuzzer: a Redis reply (raw RESP bytes, as a server or a man in the middle could send) read by
// hiredis, walked as an XREADGROUP and an XINFO GROUPS reply, and each entry decoded into a job.
#include "redis/entry_codec.hpp"
#include "redis/headers_json.hpp"
#include "redis/stream_reply.hpp"

#include <hiredis/hiredis.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace r = coyote::drivers::redis;

namespace {

/// hiredis 0.14 allocates an array or string of whatever length the server announces (1.0 added
/// a cap): the fuzzer skips inputs announcing more than a real reply of the driver could hold,
/// so that it explores our code instead of the allocator.
bool announces_huge_lengths(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if ((bytes[i] != '*' && bytes[i] != '$') || (i > 0 && bytes[i - 1] != '\n')) continue;
    std::size_t n = 0;
    for (std::size_t j = i + 1; j < bytes.size() && bytes[j] >= '0' && bytes[j] <= '9'; ++j) {
      n = n * 10 + static_cast<std::size_t>(bytes[j] - '0');
      if (n > 100000) return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  // The same bytes as a headers field on their own: the JSON parser sees every input.
  coyote::sdk::Headers headers;
  std::string error;
  if (r::parse_headers_json(bytes, headers, error) == error.empty()) {
    // Success leaves no error text and failure always explains itself.
  } else {
    __builtin_trap();
  }

  if (announces_huge_lengths(bytes)) return 0;
  redisReader* reader = redisReaderCreate();
  if (reader == nullptr) return 0;
  if (redisReaderFeed(reader, bytes.data(), bytes.size()) == REDIS_OK) {
    void* reply = nullptr;
    while (redisReaderGetReply(reader, &reply) == REDIS_OK && reply != nullptr) {
      const auto* tree = static_cast<const redisReply*>(reply);
      std::vector<r::RawEntry> entries;
      std::string problem;
      if (r::parse_read_reply(tree, entries, problem)) {
        for (const auto& e : entries) {
          const auto d = r::decode_entry(e.id, e.fields, "fuzz", 10);
          // An entry without an id field is named by its stream id; priority always set.
          if (d.message.options.pipeline != "fuzz" || d.message.options.priority == 0) {
            __builtin_trap();
          }
          // What we decode, we can encode and decode to the same job.
          const r::Fields again = r::encode_entry(d.message);
          std::vector<std::pair<std::string_view, std::string_view>> pairs;
          for (std::size_t i = 0; i + 1 < again.size(); i += 2)
            pairs.emplace_back(again[i], again[i + 1]);
          const auto round = r::decode_entry("0-0", pairs, "fuzz", 10);
          if (round.message.id != d.message.id || round.message.payload != d.message.payload ||
              round.message.headers != d.message.headers ||
              round.message.options.priority != d.message.options.priority) {
            __builtin_trap();
          }
        }
      } else if (problem.empty()) {
        __builtin_trap();
      }
      r::GroupInfo info;
      (void)r::parse_group_info(tree, "g", info, problem);
      (void)r::reply_integer(tree);
      freeReplyObject(reply);
      reply = nullptr;
    }
  }
  redisReaderFree(reader);
  return 0;
}
