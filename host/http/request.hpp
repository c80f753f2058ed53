// Request: one parsed HTTP request as a handler sees it.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::http {

namespace beast_http = boost::beast::http;

struct Request {
  /// Method, target, version, header fields and the whole body, as Beast parsed them.
  beast_http::request<beast_http::string_body> message;
  /// The client's address ("127.0.0.1:53122"), for logs.
  std::string peer;

  /// The target up to '?' ("/jobs" for "/jobs?plugin=x"), not percent-decoded.
  [[nodiscard]] std::string_view path() const noexcept;
  /// The target after '?' without a '#fragment' ("plugin=x"); empty when there is none.
  [[nodiscard]] std::string_view query() const noexcept;
  /// Every value of the query parameter `key`, percent-decoded, in order ("?plugin=a&plugin=b").
  [[nodiscard]] std::vector<std::string> query_values(std::string_view key) const;
  [[nodiscard]] bool is_head() const noexcept { return message.method() == beast_http::verb::head; }
};

/// The values of `key` in an application/x-www-form-urlencoded string ("a=1&b=2&a=3"); '+' is a
/// space and %XX an octet. A malformed escape is kept as written rather than rejected: the
/// endpoints only compare the values with names they know.
[[nodiscard]] std::vector<std::string> query_values(std::string_view query, std::string_view key);

/// `text` with %XX escapes and '+' decoded (see query_values).
[[nodiscard]] std::string percent_decode(std::string_view text);

}  // namespace coyote::host::http
