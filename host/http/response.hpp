// Response: what a handler answers; the server adds Content-Length, Connection and the version.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace coyote::host::http {

inline constexpr const char* kTextPlain = "text/plain; charset=utf-8";
inline constexpr const char* kJson = "application/json";

struct Response {
  unsigned status = 200;
  std::string content_type = kTextPlain;
  std::string body;
  /// Extra header fields, written in order ("Cache-Control", "no-store").
  std::vector<std::pair<std::string, std::string>> headers;
  /// Close the connection after this response even if the client asked for keep-alive.
  bool close = false;

  static Response text(unsigned status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  static Response json(unsigned status, std::string body) {
    Response r;
    r.status = status;
    r.content_type = kJson;
    r.body = std::move(body);
    return r;
  }
};

/// The bytes of a response's status line and header fields (Beast's serializer), with
/// Content-Length = body size, or Transfer-Encoding: chunked when `chunked` (then the body is sent
/// as chunks by the caller). `version` is the request's (10 or 11); `keep_alive` selects the
/// Connection field as that version needs it.
[[nodiscard]] std::string encode_head(const Response& response, unsigned version, bool keep_alive,
                                      bool chunked);

/// One chunk of a chunked body ("1a\r\n" data "\r\n"); an empty `data` is the last chunk.
[[nodiscard]] std::string encode_chunk(std::string_view data);

}  // namespace coyote::host::http
