// Minimal JSON text helpers so that drivers can build a worker context without a JSON library.
#pragma once

#include <coyote/sdk/headers.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace coyote::sdk::json_text {

namespace detail {

inline constexpr std::uint64_t kOnes = 0x0101010101010101ULL;

/// The high bit of each byte of `w` that JSON must escape (below 0x20, a quote or a backslash);
/// the lowest set bit is always a real one, higher ones may not be (a borrow runs upwards).
constexpr std::uint64_t special_bytes(std::uint64_t w) noexcept {
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  return ((w - kOnes * 0x20) | ((w ^ (kOnes * '"')) - kOnes) | ((w ^ (kOnes * '\\')) - kOnes)) &
         ~w & kHigh;
}

}  // namespace detail

/// The index of the first byte at or after `from` that JSON must escape (below 0x20, a quote or a
/// backslash), or text.size(). With SSE2 (every x86-64) sixteen bytes are tested at a time,
/// otherwise eight; the last partial block of a string at least a block long is the block that
/// ends with it, its bytes before `i` ignored (they may be unchecked: before `from`). Byte by
/// byte, the tails (a UUID is 2 blocks and 4 bytes) had cost more than all the blocks.
inline std::size_t find_special(std::string_view text, std::size_t from) {
  const char* p = text.data();
  const std::size_t n = text.size();
  std::size_t i = from;
#if defined(__SSE2__)
  if (n >= 16) {
    const auto special_mask = [](const char* block) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block));
      const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1f)),
                                             _mm_set1_epi8(0x1f));  // v <= 0x1f
      const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
      const __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
      return static_cast<unsigned>(
          _mm_movemask_epi8(_mm_or_si128(control, _mm_or_si128(quote, backslash))));
    };
    for (; i + 16 <= n; i += 16) {
      if (const unsigned mask = special_mask(p + i); mask != 0) {
        return i + static_cast<std::size_t>(std::countr_zero(mask));
      }
    }
    if (i == n) return n;
    const unsigned mask = special_mask(p + n - 16) >> (16 - (n - i));
    return mask == 0 ? n : i + static_cast<std::size_t>(std::countr_zero(mask));
  }
#endif
  if constexpr (std::endian::native == std::endian::little) {
    for (; i + 8 <= n; i += 8) {
      std::uint64_t w = 0;
      std::memcpy(&w, p + i, sizeof w);
      if (const std::uint64_t special = detail::special_bytes(w); special != 0) {
        return i + (static_cast<std::size_t>(std::countr_zero(special)) >> 3);
      }
    }
    if (i == n) return n;
    if (n >= 8) {
      std::uint64_t w = 0;
      std::memcpy(&w, p + n - 8, sizeof w);
      const unsigned checked_bits = static_cast<unsigned>(8 - (n - i)) * 8;  // 8..56
      const std::uint64_t checked = (std::uint64_t{1} << checked_bits) - 1;
      w = (w & ~checked) | (detail::kOnes * 'a' & checked);
      const std::uint64_t special = detail::special_bytes(w);
      return special == 0 ? n : n - 8 + (static_cast<std::size_t>(std::countr_zero(special)) >> 3);
    }
  }
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c < 0x20 || c == '"' || c == '\\') return i;
  }
  return n;
}

/// The letter of the two-byte escape of `c` (\" \\ \n \r \t \b \f), or 0 when `c` is written
/// as \u00XX.
constexpr char short_escape(unsigned char c) noexcept {
  switch (c) {
    case '"':
      return '"';
    case '\\':
      return '\\';
    case '\n':
      return 'n';
    case '\r':
      return 'r';
    case '\t':
      return 't';
    case '\b':
      return 'b';
    case '\f':
      return 'f';
    default:
      return 0;
  }
}

/// The most bytes one input byte takes when escaped (\u00XX).
inline constexpr std::size_t kMaxEscape = 6;

/// The JSON escape of the byte `c` (a quote, a backslash or a control character) written at
/// `at`; returns the end.
inline char* write_escape(char* at, unsigned char c) {
  *at++ = '\\';
  if (const char letter = short_escape(c); letter != 0) {
    *at++ = letter;
    return at;
  }
  constexpr std::string_view kHex = "0123456789abcdef";
  *at++ = 'u';
  *at++ = '0';
  *at++ = '0';
  *at++ = kHex[c >> 4];
  *at++ = kHex[c & 0xf];
  return at;
}

/// The size of write_escape's output for `c`.
constexpr std::size_t escape_size(unsigned char c) noexcept {
  return short_escape(c) != 0 ? 2 : kMaxEscape;
}

/// The size of `text` as a JSON string literal, quotes included.
inline std::size_t quoted_size(std::string_view text) {
  std::size_t size = text.size() + 2;
  for (std::size_t at = find_special(text, 0); at < text.size(); at = find_special(text, at + 1)) {
    size += escape_size(static_cast<unsigned char>(text[at])) - 1;
  }
  return size;
}

/// Writes `text` as a JSON string literal at `at` (quoted_size(text) bytes); returns the end.
inline char* write_quoted(char* at, std::string_view text) {
  *at++ = '"';
  std::size_t from = 0;
  for (;;) {
    const std::size_t special = find_special(text, from);
    if (special != from) std::memcpy(at, text.data() + from, special - from);
    at += special - from;
    if (special == text.size()) break;
    at = write_escape(at, static_cast<unsigned char>(text[special]));
    from = special + 1;
  }
  *at++ = '"';
  return at;
}

/// append()'s part for a string written as a JSON string literal (escaped, with quotes).
struct Quoted {
  std::string_view text;
};
[[nodiscard]] inline Quoted quoted(std::string_view text) noexcept { return {text}; }

/// append()'s part for a header map written as {"k":["v",...],...}; an empty map is {} (never
/// null: the PHP consumer wants an object).
struct HeadersObject {
  const Headers* headers;
};
[[nodiscard]] inline HeadersObject headers_object(const Headers& headers) noexcept {
  return {&headers};
}

namespace detail {

// Each part has its exact size (part_size: scans for bytes to escape), the most it can take
// (part_bound: from lengths only, every byte of a string escaped as \u00XX) and its writer.

inline std::size_t part_size(std::string_view verbatim) noexcept { return verbatim.size(); }
inline std::size_t part_bound(std::string_view verbatim) noexcept { return verbatim.size(); }
inline char* write_part(char* at, std::string_view verbatim) {
  if (!verbatim.empty()) std::memcpy(at, verbatim.data(), verbatim.size());
  return at + verbatim.size();
}

inline std::size_t quoted_bound(std::string_view text) noexcept {
  return kMaxEscape * text.size() + 2;
}

inline std::size_t part_size(Quoted part) { return quoted_size(part.text); }
inline std::size_t part_bound(Quoted part) noexcept { return quoted_bound(part.text); }
inline char* write_part(char* at, Quoted part) { return write_quoted(at, part.text); }

// {"k":["v",...],...}: one comma fewer than entries, and than an entry's values.
template <typename StringSize>
std::size_t headers_size(const Headers& headers, StringSize string_size) {
  std::size_t size = 2;  // {}
  for (const auto& [key, values] : headers) {
    size += string_size(key) + 4;  // :[] and a comma
    for (const std::string& value : values) size += string_size(value) + 1;
    if (!values.empty()) --size;
  }
  if (!headers.empty()) --size;
  return size;
}
inline std::size_t part_size(HeadersObject part) {
  return headers_size(*part.headers, [](std::string_view text) { return quoted_size(text); });
}
inline std::size_t part_bound(HeadersObject part) {
  return headers_size(*part.headers, [](std::string_view text) { return quoted_bound(text); });
}
inline char* write_part(char* at, HeadersObject part) {
  *at++ = '{';
  bool first = true;
  for (const auto& [key, values] : *part.headers) {
    if (!first) *at++ = ',';
    first = false;
    at = write_quoted(at, key);
    *at++ = ':';
    *at++ = '[';
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i != 0) *at++ = ',';
      at = write_quoted(at, values[i]);
    }
    *at++ = ']';
  }
  *at++ = '}';
  return at;
}

/// Up to this many bytes, append() grows `out` by the parts' bound and trims after writing.
inline constexpr std::size_t kBoundedGrowth = 4096;

}  // namespace detail

/// Appends the parts in order: a std::string_view (or string literal) verbatim, a quoted(text)
/// as a JSON string literal, a headers_object(map) as a JSON object of string arrays. `out` grows
/// once and the parts are written in place: a worker's context is built this way for every job
/// dispatched, and growing it piece by piece (a libstdc++ call and a capacity check for each
/// quote, key and value) cost ~1 000 instructions a job. A context (under 4 KiB even if every
/// byte needed escaping) grows by that bound, written with one scan of each string, then is
/// trimmed; a larger text is measured first (a second scan), so `out` never holds six times it.
template <typename... Parts>
void append(std::string& out, const Parts&... parts) {
  static_assert(sizeof...(Parts) > 0, "append() needs a part");
  const std::size_t old = out.size();
  const std::size_t bound = (detail::part_bound(parts) + ...);
  const std::size_t grow =
      bound <= detail::kBoundedGrowth ? bound : (detail::part_size(parts) + ...);
  out.resize(old + grow);
  char* const begin = out.data();
  char* at = begin + old;
  ((at = detail::write_part(at, parts)), ...);
  out.resize(static_cast<std::size_t>(at - begin));
}

/// Appends `text` as a JSON string literal (with quotes). Control characters are \u-escaped;
/// bytes >= 0x80 pass through unchanged (UTF-8 stays UTF-8, as Go's encoding/json emits it).
/// Runs of plain bytes are found a block at a time (find_special) and copied at once: this runs
/// for every job dispatched, and byte by byte it was ~20 % of the host's instructions per job.
inline void append_string(std::string& out, std::string_view text) { append(out, quoted(text)); }

/// Appends {"k":["v",...],...}; an empty map is {} (never null: the PHP consumer wants an object).
inline void append_headers(std::string& out, const Headers& headers) {
  append(out, headers_object(headers));
}

}  // namespace coyote::sdk::json_text
