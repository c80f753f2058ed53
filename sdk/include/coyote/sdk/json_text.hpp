// Minimal JSON text helpers so that drivers can build a worker context without a JSON library.
#pragma once

#include <coyote/sdk/headers.hpp>

#include <cstdio>
#include <string>
#include <string_view>

namespace coyote::sdk::json_text {

/// Appends `text` as a JSON string literal (with quotes). Control characters are \u-escaped;
/// bytes >= 0x80 pass through unchanged (UTF-8 stays UTF-8, as Go's encoding/json emits it).
inline void append_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (const char c : text) {
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
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x",
                        static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out.push_back(c);
        }
    }
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
