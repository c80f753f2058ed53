#include "rpc/base64.hpp"

#include <array>
#include <cstdint>

namespace coyote::host::rpc {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_reverse() {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (int i = 0; i < 64; ++i)
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  return table;
}
constexpr std::array<std::int8_t, 256> kReverse = make_reverse();

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v =
        (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
        (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
        static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest != 0) {
    std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

sdk::Status base64_decode(std::string_view text, std::string& out) {
  out.clear();
  out.reserve(text.size() / 4 * 3);
  std::uint32_t acc = 0;
  int have = 0;     // sextets in acc
  int padding = 0;  // '=' seen
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' || c == '\n') continue;
    if (c == '=') {
      // Padding may only complete a quantum that already has two or three sextets.
      if (have < 2)
        return sdk::Status::error("illegal base64 data at input byte " + std::to_string(i));
      ++padding;
      ++have;
      acc <<= 6;
      if (have == 4) {
        if (padding > 2)
          return sdk::Status::error("illegal base64 data at input byte " + std::to_string(i));
        out.push_back(static_cast<char>((acc >> 16) & 0xff));
        if (padding == 1) out.push_back(static_cast<char>((acc >> 8) & 0xff));
        // Nothing but line breaks may follow the padding.
        for (std::size_t j = i + 1; j < text.size(); ++j) {
          if (text[j] != '\r' && text[j] != '\n') {
            return sdk::Status::error("illegal base64 data at input byte " + std::to_string(j));
          }
        }
        return sdk::Status::ok();
      }
      continue;
    }
    const std::int8_t v = kReverse[static_cast<unsigned char>(c)];
    if (v < 0 || padding != 0) {
      return sdk::Status::error("illegal base64 data at input byte " + std::to_string(i));
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    if (++have == 4) {
      out.push_back(static_cast<char>((acc >> 16) & 0xff));
      out.push_back(static_cast<char>((acc >> 8) & 0xff));
      out.push_back(static_cast<char>(acc & 0xff));
      acc = 0;
      have = 0;
    }
  }
  if (have != 0) {
    return sdk::Status::error("illegal base64 data at input byte " + std::to_string(text.size()));
  }
  return sdk::Status::ok();
}

}  // namespace coyote::host::rpc
