// libFuzzer: HTTP request bytes through the server's own path — Beast's parser behind
// RequestReader's limits, pipelining, the router (prefix match, query decoding, handlers that
// answer now, later or never) and the response encoder, whose output must parse back.
#include "http/request_reader.hpp"
#include "http/response.hpp"
#include "http/router.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace http = coyote::host::http;

namespace {

// Stands in for a connection: encodes each answer and checks it parses as HTTP.
class CheckingSink final : public http::detail::ExchangeSink {
 public:
  void finish(std::uint64_t, http::Response r) override { check(r, false); }
  void start_stream(std::uint64_t, http::Response r) override { check(r, true); }
  void stream_write(std::uint64_t, std::string data) override {
    if (!data.empty() && http::encode_chunk(data).size() < data.size() + 5) __builtin_trap();
  }
  void stream_end(std::uint64_t) override {}

 private:
  static void check(const http::Response& r, bool chunked) {
    const std::string head = http::encode_head(r, 11, true, chunked);
    boost::beast::http::response_parser<boost::beast::http::empty_body> parser;
    parser.skip(true);  // the head only
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(head), ec);
    if (ec || !parser.is_header_done()) __builtin_trap();
    if (parser.get().result_int() != r.status) __builtin_trap();
  }
};

http::Router make_router(std::vector<http::Responder>& parked) {
  http::Router router;
  router.add("/", [](const http::Request& req) {
    return http::Response::text(200, std::string(req.path()));
  });
  router.add("/health", [](const http::Request& req) {
    std::string body;
    for (const auto& v : req.query_values("plugin")) body += v + ",";
    return http::Response::json(200, body);
  });
  router.add("/later",
             [&parked](http::Request, http::Responder out) { parked.push_back(std::move(out)); });
  router.add("/never", [](http::Request, http::Responder) {});
  router.add("/stream", [](http::Request req, const http::Responder& out) {
    auto s = out.stream(http::Response::text(200, std::string(req.query())));
    s.write(req.message.body());
    s.end();
  });
  router.add("/throw/", [](const http::Request& req) -> http::Response {
    throw std::runtime_error(std::string(req.path()));
  });
  return router;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static boost::asio::io_context io;
  static const auto sink = std::make_shared<CheckingSink>();
  std::vector<http::Responder> parked;
  const http::Router router = make_router(parked);

  // Small limits from the input so both sides of each limit are reached.
  const std::size_t header_limit = size > 0 ? 64 + data[0] * 8 : 64;
  const std::size_t body_limit = size > 1 ? data[1] * 16 : 0;
  http::RequestReader reader({.header_limit = header_limit, .body_limit = body_limit});

  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::size_t at = 0;
  std::size_t piece = 1;
  std::uint64_t id = 0;
  bool failed = false;
  while (at < bytes.size() && !failed) {
    const std::size_t n = std::min(piece, bytes.size() - at);
    reader.append(bytes.substr(at, n));
    at += n;
    piece = piece * 2 + 1;
    for (;;) {
      const auto r = reader.next();
      if (r == http::RequestReader::Result::kNeedMore) {
        (void)reader.take_expect_continue();
        break;
      }
      if (r == http::RequestReader::Result::kError) {
        if (reader.error_status() < 400 || reader.error_text().empty()) __builtin_trap();
        failed = true;
        break;
      }
      auto exchange = std::make_shared<http::detail::Exchange>(sink, io.get_executor(), ++id);
      router.dispatch(std::move(reader.request()), http::Responder(std::move(exchange)));
    }
  }
  for (auto& p : parked) p.respond(http::Response::text(204, ""));
  parked.clear();
  io.restart();
  io.poll();
  return 0;
}
