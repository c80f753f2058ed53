#include "jobs/trace_context.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <utility>

namespace coyote::host::jobs {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The two hex digits of every byte value, so that a 64-bit id is written with eight two-byte
// copies: a digit at a time cost ~420 instructions per dispatched job (callgrind,
// docs/architecture.md), this ~60.
constexpr std::array<char, 512> kHexPairs = [] {
  constexpr char kDigits[] = "0123456789abcdef";
  std::array<char, 512> pairs{};
  for (std::size_t b = 0; b < 256; ++b) {
    pairs[2 * b] = kDigits[b >> 4];
    pairs[2 * b + 1] = kDigits[b & 0xf];
  }
  return pairs;
}();

// Writes the 16 hex digits of `v` at `out`, most significant first.
char* put_hex(char* out, std::uint64_t v) {
  for (std::size_t byte = 8; byte-- > 0;) {
    std::memcpy(out + 2 * byte, &kHexPairs[2 * (v & 0xff)], 2);
    v >>= 8;
  }
  return out + 16;
}

std::uint64_t nonzero(support::FastRandom& rng) {
  std::uint64_t v = 0;
  while (v == 0) v = rng();
  return v;
}

constexpr std::size_t kTraceparentSize = 55;

// Writes a fresh traceparent's kTraceparentSize characters at `p`.
void write_traceparent(char* p, support::FastRandom& rng) {
  *p++ = '0';
  *p++ = '0';
  *p++ = '-';
  // The trace id must not be all zero; a non-zero high half is enough.
  p = put_hex(p, nonzero(rng));
  p = put_hex(p, rng());
  *p++ = '-';
  p = put_hex(p, nonzero(rng));
  *p++ = '-';
  *p++ = '0';
  *p = '1';
}

}  // namespace

bool has_traceparent(const sdk::Headers& headers) {
  if (headers.contains("traceparent") || headers.contains(kTraceparentHeader)) return true;
  return std::any_of(headers.begin(), headers.end(),
                     [](const auto& entry) { return iequals(entry.first, "traceparent"); });
}

std::string new_traceparent(support::FastRandom& rng) {
  std::array<char, kTraceparentSize> text{};
  write_traceparent(text.data(), rng);
  return {text.data(), text.size()};
}

bool ensure_traceparent(sdk::Headers& headers, support::FastRandom& rng) {
  if (has_traceparent(headers)) return false;
  // Not vector{new_traceparent(rng)}: an initializer list copies the string, one more allocation.
  std::vector<std::string> value;
  value.push_back(new_traceparent(rng));
  headers.emplace(std::string(kTraceparentHeader), std::move(value));
  return true;
}

bool TraceparentNodes::ensure(sdk::Headers& headers, support::FastRandom& rng) {
  if (spare_.empty()) return ensure_traceparent(headers, rng);
  if (has_traceparent(headers)) return false;
  sdk::Headers::node_type node = std::move(spare_.back());
  spare_.pop_back();
  std::string& value = node.mapped().front();
  value.resize(kTraceparentSize);  // within the capacity reclaim() checked: no allocation
  write_traceparent(value.data(), rng);
  headers.insert(std::move(node));
  return true;
}

void TraceparentNodes::reclaim(sdk::Headers& headers) {
  if (spare_.size() >= kMaxSpare) return;
  const auto it = headers.find(kTraceparentHeader);
  // Only a node ensure() can overwrite in place: one value with room for the digits. A
  // producer's own Traceparent qualifies too; its job is done with it either way.
  if (it == headers.end() || it->second.size() != 1 ||
      it->second.front().capacity() < kTraceparentSize) {
    return;
  }
  spare_.push_back(headers.extract(it));
}

}  // namespace coyote::host::jobs
