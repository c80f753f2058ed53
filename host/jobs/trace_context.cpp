#include "jobs/trace_context.hpp"

#include <algorithm>
#include <cctype>

namespace coyote::host::jobs {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

void append_hex(std::string& out, std::uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) out.push_back(kDigits[(v >> shift) & 0xf]);
}

std::uint64_t nonzero(std::mt19937_64& rng) {
  std::uint64_t v = 0;
  while (v == 0) v = rng();
  return v;
}

}  // namespace

bool has_traceparent(const sdk::Headers& headers) {
  if (headers.contains("traceparent") || headers.contains(kTraceparentHeader)) return true;
  return std::any_of(headers.begin(), headers.end(),
                     [](const auto& entry) { return iequals(entry.first, "traceparent"); });
}

std::string new_traceparent(std::mt19937_64& rng) {
  std::string out;
  out.reserve(55);
  out += "00-";
  // The trace id must not be all zero; a non-zero high half is enough.
  append_hex(out, nonzero(rng));
  append_hex(out, rng());
  out.push_back('-');
  append_hex(out, nonzero(rng));
  out += "-01";
  return out;
}

bool ensure_traceparent(sdk::Headers& headers, std::mt19937_64& rng) {
  if (has_traceparent(headers)) return false;
  headers.emplace(std::string(kTraceparentHeader), std::vector<std::string>{new_traceparent(rng)});
  return true;
}

}  // namespace coyote::host::jobs
