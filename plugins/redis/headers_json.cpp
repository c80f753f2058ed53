#include "redis/headers_json.hpp"

#include <cstdint>
#include <vector>

namespace coyote::drivers::redis {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  bool parse(sdk::Headers& out, std::string& error) {
    out.clear();
    skip_space();
    if (!consume('{')) return fail(error, "headers must be a JSON object");
    skip_space();
    if (consume('}')) return finish(error);
    while (true) {
      std::string key;
      skip_space();
      if (!parse_string(key)) return fail(error, "expected a header name (a JSON string)");
      skip_space();
      if (!consume(':')) return fail(error, "expected ':' after a header name");
      skip_space();
      std::vector<std::string> values;
      if (peek() == '"') {
        std::string one;
        if (!parse_string(one)) return fail(error, "bad string value");
        values.push_back(std::move(one));
      } else if (consume('[')) {
        skip_space();
        if (!consume(']')) {
          while (true) {
            skip_space();
            std::string v;
            if (!parse_string(v)) return fail(error, "header values must be strings");
            values.push_back(std::move(v));
            skip_space();
            if (consume(',')) continue;
            if (consume(']')) break;
            return fail(error, "expected ',' or ']' in a header's values");
          }
        }
      } else {
        return fail(error, "a header's value must be an array of strings");
      }
      out.insert_or_assign(std::move(key), std::move(values));
      skip_space();
      if (consume(',')) continue;
      if (consume('}')) return finish(error);
      return fail(error, "expected ',' or '}' between headers");
    }
  }

 private:
  [[nodiscard]] char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool finish(std::string& error) {
    skip_space();
    if (pos_ != text_.size()) return fail(error, "unexpected bytes after the headers object");
    return true;
  }
  bool fail(std::string& error, const char* what) const {
    error = std::string(what) + " (at byte " + std::to_string(pos_) + ")";
    return false;
  }

  bool hex4(std::uint32_t& out) {
    if (pos_ + 4 > text_.size()) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      out <<= 4;
      if (c >= '0' && c <= '9') {
        out |= static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        out |= static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        out |= static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }

  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool parse_string(std::string& out) {
    if (!consume('"')) return false;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) return false;
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            // A high surrogate must be followed by \u and a low one (PHP's json_encode writes
            // every non-ASCII character this way).
            std::uint32_t low = 0;
            if (!consume('\\') || !consume('u') || !hex4(low) || low < 0xDC00 || low > 0xDFFF) {
              return false;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return false;
          }
          append_utf8(out, cp);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

bool parse_headers_json(std::string_view text, sdk::Headers& out, std::string& error) {
  return Parser(text).parse(out, error);
}

}  // namespace coyote::drivers::redis
