#include "log/escaped_message.hpp"

namespace coyote::host::log {
namespace {

bool is_control(unsigned char c) noexcept { return c < 0x20 || c == 0x7f; }

/// Length of the valid UTF-8 sequence starting at text[i], or 0.
std::size_t utf8_length(std::string_view text, std::size_t i) noexcept {
  const auto c = static_cast<unsigned char>(text[i]);
  std::size_t n = 0;
  unsigned min = 0;
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) {
    n = 2;
    min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3;
    min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  unsigned cp = c & (0x7f >> n);
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

}  // namespace

void append_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t plain_from = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!is_control(c) && c != '\\') continue;
    out.append(text.data() + plain_from, i - plain_from);
    plain_from = i + 1;
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\\':
        // A backslash is kept as is: escaping it would double every Windows path and regex in
        // a message, and forging needs a real control character, which is always escaped.
        out += '\\';
        break;
      default:
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(text.data() + plain_from, text.size() - plain_from);
}

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_length(text, i);
    if (n == 0) {
      out += "\xef\xbf\xbd";
      ++i;
    } else {
      out.append(text.data() + i, n);
      i += n;
    }
  }
  return out;
}

void EscapedMessage::format(const spdlog::details::log_msg& msg, const std::tm& /*tm*/,
                            spdlog::memory_buf_t& dest) {
  const std::string_view payload(msg.payload.data(), msg.payload.size());
  bool plain = true;
  for (const char c : payload) {
    if (is_control(static_cast<unsigned char>(c))) {
      plain = false;
      break;
    }
  }
  if (plain) {
    dest.append(payload.data(), payload.data() + payload.size());
    return;
  }
  std::string escaped;
  escaped.reserve(payload.size() + 16);
  append_escaped(escaped, payload);
  dest.append(escaped.data(), escaped.data() + escaped.size());
}

std::unique_ptr<spdlog::custom_flag_formatter> EscapedMessage::clone() const {
  return std::make_unique<EscapedMessage>();
}

std::unique_ptr<spdlog::formatter> console_formatter(const std::string& pattern) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<EscapedMessage>(EscapedMessage::kFlag).set_pattern(pattern);
  return formatter;
}

}  // namespace coyote::host::log
