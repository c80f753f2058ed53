#include "http/response.hpp"

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/serializer.hpp>

#include <charconv>

namespace coyote::host::http {

namespace bhttp = boost::beast::http;

std::string encode_head(const Response& response, unsigned version, bool keep_alive, bool chunked) {
  bhttp::response<bhttp::empty_body> head;
  head.version(version);
  head.result(response.status);
  head.set(bhttp::field::server, "coyote");
  if (!response.content_type.empty()) head.set(bhttp::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) head.insert(name, value);
  if (chunked) {
    head.chunked(true);
  } else {
    head.content_length(response.body.size());
  }
  head.keep_alive(keep_alive);

  std::string out;
  bhttp::serializer<false, bhttp::empty_body> serializer(head);
  serializer.split(true);
  boost::beast::error_code ec;
  while (!ec && !serializer.is_header_done()) {
    serializer.next(ec, [&](boost::beast::error_code&, const auto& buffers) {
      std::size_t n = 0;
      for (const auto b : boost::beast::buffers_range_ref(buffers)) {
        out.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      serializer.consume(n);
    });
  }
  return out;
}

std::string encode_chunk(std::string_view data) {
  char size[2 * sizeof(std::size_t)];
  const auto res = std::to_chars(size, size + sizeof(size), data.size(), 16);
  std::string out(size, res.ptr);
  out.reserve(out.size() + data.size() + 6);
  out += "\r\n";
  out += data;
  out += "\r\n";  // for the empty last chunk this makes "0\r\n\r\n" (no trailer fields)
  return out;
}

}  // namespace coyote::host::http
