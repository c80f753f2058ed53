#include "http/request.hpp"

namespace coyote::host::http {

namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string_view Request::path() const noexcept {
  const std::string_view target(message.target().data(), message.target().size());
  return target.substr(0, target.find_first_of("?#"));
}

std::string_view Request::query() const noexcept {
  const std::string_view target(message.target().data(), message.target().size());
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return {};
  const std::string_view rest = target.substr(q + 1);
  return rest.substr(0, rest.find('#'));
}

std::vector<std::string> Request::query_values(std::string_view key) const {
  return http::query_values(query(), key);
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::string> query_values(std::string_view query, std::string_view key) {
  std::vector<std::string> out;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    const std::string name = percent_decode(pair.substr(0, eq));
    if (name != key) continue;
    out.push_back(eq == std::string_view::npos ? std::string()
                                               : percent_decode(pair.substr(eq + 1)));
  }
  return out;
}

}  // namespace coyote::host::http
