// RequestReader: bytes from a connection in, whole requests out (Beast's parser, with limits).
#pragma once

#include "http/request.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace coyote::host::http {

struct ReaderLimits {
  std::size_t header_limit = std::size_t{16} * 1024;  ///< request line + header fields, bytes
  std::size_t body_limit = std::size_t{1024} * 1024;  ///< body bytes (after chunked decoding)
};

/// Not thread-safe; one per connection. Requests may be pipelined: bytes after one request stay
/// buffered for the next call of next().
class RequestReader {
 public:
  explicit RequestReader(ReaderLimits limits = {});

  enum class Result {
    kNeedMore,  ///< no complete request buffered yet
    kRequest,   ///< `request()` holds one; call next() again for a pipelined one
    kError,     ///< malformed or too large: answer error_status() and close the connection
  };

  /// Appends bytes read from the connection.
  void append(std::string_view bytes);
  /// Parses what is buffered.
  Result next();

  /// The request after kRequest (moved out by the caller).
  [[nodiscard]] Request& request() noexcept { return request_; }
  /// After kError: 400, 413 (body too large), 431 (header too large) or 501 (unknown transfer
  /// coding), with error_text() saying why.
  [[nodiscard]] unsigned error_status() const noexcept { return error_status_; }
  [[nodiscard]] const std::string& error_text() const noexcept { return error_text_; }

  /// True once per request when its header asked for "Expect: 100-continue" and is complete.
  [[nodiscard]] bool take_expect_continue() noexcept;

  /// Bytes buffered and not yet parsed into a returned request.
  [[nodiscard]] std::size_t buffered() const noexcept { return buffer_.size(); }
  /// True when a request has started arriving (some of its bytes are buffered or parsed).
  [[nodiscard]] bool in_request() const noexcept { return started_ || buffer_.size() > 0; }
  /// The most bytes worth buffering ahead: one request at its limits.
  [[nodiscard]] std::size_t max_buffered() const noexcept {
    return limits_.header_limit + limits_.body_limit + 64;
  }

 private:
  void reset_parser();

  ReaderLimits limits_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  Request request_;
  unsigned error_status_ = 0;
  std::string error_text_;
  bool started_ = false;
  bool continue_checked_ = false;
  bool expect_continue_ = false;
};

}  // namespace coyote::host::http
