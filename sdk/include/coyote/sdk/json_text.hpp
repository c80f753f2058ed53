// Minimal JSON text helpers so that drivers can build a worker context without a JSON library.
#pragma once

#include <coyote/sdk/headers.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace coyote::sdk::json_text {

/// Appends the JSON escape of the byte `c` (a quote, a backslash or a control character).
inline void append_escape(std::string& out, unsigned char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    default: {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    }
  }
}

/// The index of the first byte at or after `from` that JSON must escape (below 0x20, a quote or a
/// backslash), or text.size(). Eight bytes are tested at a time: in `special` such a byte sets
/// its high bit, and the lowest set bit is always a real one (a borrow only runs upwards).
inline std::size_t find_special(std::string_view text, std::size_t from) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const char* p = text.data();
  const std::size_t n = text.size();
  std::size_t i = from;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p + i, sizeof w);
    const std::uint64_t special =
        ((w - kOnes * 0x20) | ((w ^ (kOnes * '"')) - kOnes) | ((w ^ (kOnes * '\\')) - kOnes)) & ~w &
        kHigh;
    if constexpr (std::endian::native == std::endian::little) {
      if (special != 0) return i + (static_cast<std::size_t>(std::countr_zero(special)) >> 3);
    } else {
      if (special != 0) break;  // the byte loop below finds it
    }
  }
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c < 0x20 || c == '"' || c == '\\') return i;
  }
  return n;
}

/// Appends `text` as a JSON string literal (with quotes). Control characters are \u-escaped;
/// bytes >= 0x80 pass through unchanged (UTF-8 stays UTF-8, as Go's encoding/json emits it).
/// Runs of plain bytes are copied in one append and found eight bytes at a time: this runs for
/// every job dispatched, and byte by byte it was ~20 % of the host's instructions per job.
inline void append_string(std::string& out, std::string_view text) {
  out.reserve(out.size() + text.size() + 2);
  out.push_back('"');
  std::size_t from = 0;
  for (;;) {
    const std::size_t at = find_special(text, from);
    out.append(text.data() + from, at - from);
    if (at == text.size()) break;
    append_escape(out, static_cast<unsigned char>(text[at]));
    from = at + 1;
  }
  out.push_back('"');
}

/// Appends {"k":["v",...],...}; an empty map is {} (never null: the PHP consumer wants an object).
inline void append_headers(std::string& out, const Headers& headers) {
  out.push_back('{');
  bool first = true;
  for (const auto& [key, values] : headers) {
    if (!first) out.push_back(',');
    first = false;
    append_string(out, key);
    out += ":[";
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i != 0) out.push_back(',');
      append_string(out, values[i]);
    }
    out.push_back(']');
  }
  out.push_back('}');
}

}  // namespace coyote::sdk::json_text
