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
  // Copy runs of plain bytes in one append: ids, names and pipelines rarely need an escape, and
  // this runs for every job dispatched.
  std::size_t plain_from = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + plain_from, i - plain_from);
    plain_from = i + 1;
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
  out.append(text.data() + plain_from, text.size() - plain_from);
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
