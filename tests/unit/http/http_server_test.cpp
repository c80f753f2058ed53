// HttpServer over real TCP sockets: routing, keep-alive, limits, timeouts, deferred answers,
// streams, bounded connections and listen errors.
#include "http/http_server.hpp"
#include "http_client.hpp"
#include "live_http.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace http = coyote::host::http;
using Catch::Matchers::Contains;
using coyote::test::HttpClient;
using coyote::test::LiveHttp;
using namespace std::chrono_literals;

namespace {

http::Router echo_router() {
  http::Router r;
  r.add("/", [](const http::Request& req) {
    return http::Response::text(200,
                                "path=" + std::string(req.path()) + " body=" + req.message.body());
  });
  return r;
}

// Holds responders handed over by a handler until the test answers them.
struct Parked {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<http::Responder> responders;

  void add(http::Responder r) {
    std::lock_guard lock(mu);
    responders.push_back(std::move(r));
    cv.notify_all();
  }
  std::optional<http::Responder> take() {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, 5s, [&] { return !responders.empty(); })) return std::nullopt;
    auto r = std::move(responders.front());
    responders.erase(responders.begin());
    return r;
  }
};

std::string error_of(http::HttpServerOptions options) {
  boost::asio::io_context io;
  http::HttpServer server(io, std::move(options), echo_router());
  try {
    server.start();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("http server answers requests on one keep-alive connection", "[http]") {
  LiveHttp live(echo_router());
  HttpClient client(live.port());
  auto res = client.get("/metrics");
  CHECK(res.result_int() == 200);
  CHECK(res.body() == "path=/metrics body=");
  CHECK(res[boost::beast::http::field::content_type] == "text/plain; charset=utf-8");
  CHECK(res.keep_alive());
  client.send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
  res = client.read();
  CHECK(res.body() == "path=/x body=abc");
  CHECK(live.connections() == 1);
}

TEST_CASE("http server answers pipelined requests in order", "[http]") {
  LiveHttp live(echo_router());
  HttpClient client(live.port());
  client.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(client.read().body() == "path=/a body=");
  CHECK(client.read().body() == "path=/b body=");
}

TEST_CASE("http server answers 404 when no route matches", "[http]") {
  http::Router r;
  r.add("/health", [](const http::Request&) { return http::Response::text(200, "ok"); });
  LiveHttp live(std::move(r));
  HttpClient client(live.port());
  const auto res = client.get("/nope");
  CHECK(res.result_int() == 404);
  CHECK_THAT(res.body(), Contains("/nope"));
  CHECK(client.get("/health").body() == "ok");  // the connection stays usable
}

TEST_CASE("http server sends HEAD answers without a body", "[http]") {
  LiveHttp live(echo_router());
  HttpClient client(live.port());
  client.send("HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n");
  // Beast's reader needs to know the answer has no body: parse it as a HEAD answer.
  boost::beast::http::response_parser<boost::beast::http::string_body> parser;
  parser.skip(true);
  boost::beast::flat_buffer buf;
  boost::beast::http::read(client.socket(), buf, parser);
  CHECK(parser.get().result_int() == 200);
  CHECK(parser.get()[boost::beast::http::field::content_length] == "13");  // "path=/x body="
  CHECK(client.get("/y").body() == "path=/y body=");
}

TEST_CASE("http server closes after answering an HTTP/1.0 request", "[http]") {
  LiveHttp live(echo_router());
  HttpClient client(live.port());
  client.send("GET /old HTTP/1.0\r\n\r\n");
  const auto res = client.read();
  CHECK(res.body() == "path=/old body=");
  CHECK_FALSE(res.keep_alive());
  CHECK(client.closed_by_server());
}

TEST_CASE("http server answers 431 for a header over the limit and closes", "[http]") {
  http::HttpServerOptions o;
  o.limits.header_limit = 256;
  LiveHttp live(echo_router(), o);
  HttpClient client(live.port());
  client.send("GET / HTTP/1.1\r\nX-Big: " + std::string(1000, 'x') + "\r\n\r\n");
  const auto res = client.read();
  CHECK(res.result_int() == 431);
  CHECK(client.closed_by_server());
}

TEST_CASE("http server answers 413 for a body over the limit", "[http]") {
  http::HttpServerOptions o;
  o.limits.body_limit = 10;
  LiveHttp live(echo_router(), o);
  HttpClient client(live.port());
  client.send("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n");
  CHECK(client.read().result_int() == 413);
  CHECK(client.closed_by_server());
}

TEST_CASE("http server answers 400 to bytes that are not HTTP and stays up", "[http]") {
  LiveHttp live(echo_router());
  {
    HttpClient client(live.port());
    client.send("hello there\r\n\r\n");
    CHECK(client.read().result_int() == 400);
    CHECK(client.closed_by_server());
  }
  HttpClient next(live.port());
  CHECK(next.get("/").result_int() == 200);
}

TEST_CASE("http server answers 408 when a request does not complete in time", "[http]") {
  http::HttpServerOptions o;
  o.read_timeout = 200ms;
  LiveHttp live(echo_router(), o);
  HttpClient client(live.port());
  client.send("GET / HTTP/1.1\r\nHost: t\r\n");  // never finished
  CHECK(client.read().result_int() == 408);
  CHECK(client.closed_by_server());
}

TEST_CASE("http server closes a keep-alive connection idle past idle_timeout", "[http]") {
  http::HttpServerOptions o;
  o.idle_timeout = 200ms;
  LiveHttp live(echo_router(), o);
  HttpClient client(live.port());
  CHECK(client.get("/").result_int() == 200);
  CHECK(client.closed_by_server());  // blocks until the server gives up on the idle connection
  CHECK(LiveHttp::wait_for([&] { return live.connections() == 0; }));
}

TEST_CASE("http handler can answer later from another thread", "[http]") {
  Parked parked;
  http::Router r;
  r.add("/poll", [&](http::Request, http::Responder out) { parked.add(std::move(out)); });
  LiveHttp live(std::move(r));
  HttpClient client(live.port());
  client.send("GET /poll HTTP/1.1\r\nHost: t\r\n\r\n");
  auto responder = parked.take();
  REQUIRE(responder);
  std::thread other([&] {
    CHECK(responder->respond(http::Response::json(200, "{\"late\":true}")));
    CHECK_FALSE(responder->respond(http::Response::text(500, "second")));  // first one wins
  });
  other.join();
  const auto res = client.read();
  CHECK(res.result_int() == 200);
  CHECK(res.body() == "{\"late\":true}");
  CHECK(res[boost::beast::http::field::content_type] == "application/json");
}

TEST_CASE("http responder answered off the loop may outlive the server and its io_context",
          "[http]") {
  // A metrics formatter thread keeps its Responder copy until its task ends, which can be after
  // the client has its answer and the host has torn the loop down. The connection must not die
  // with that copy, off the loop (under ASan this was a use-after-free of the timer's service).
  Parked parked;
  http::Router r;
  r.add("/poll", [&](http::Request, http::Responder out) { parked.add(std::move(out)); });
  std::vector<http::Responder> kept;  // outlives the server, as a formatter thread's copy can
  {
    LiveHttp live(std::move(r));
    {
      HttpClient client(live.port());
      client.send("GET /poll HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
      auto responder = parked.take();
      REQUIRE(responder);
      kept.push_back(*responder);
      responder.reset();
      std::thread other([&] { CHECK(kept.front().respond(http::Response::text(200, "late"))); });
      other.join();
      CHECK(client.read().body() == "late");
    }
    CHECK(LiveHttp::wait_for([&] { return live.connections() == 0; }));
  }
  kept.clear();
}

TEST_CASE("http request whose responder is dropped gets 500", "[http]") {
  http::Router r;
  r.add("/", [](http::Request, http::Responder) {});
  LiveHttp live(std::move(r));
  HttpClient client(live.port());
  const auto res = client.get("/");
  CHECK(res.result_int() == 500);
  CHECK_THAT(res.body(), Contains("no answer"));
}

TEST_CASE("http handler exception becomes a 500 with its text", "[http]") {
  http::Router r;
  r.add("/", [](const http::Request&) -> http::Response { throw std::runtime_error("kaput"); });
  LiveHttp live(std::move(r));
  HttpClient client(live.port());
  const auto res = client.get("/");
  CHECK(res.result_int() == 500);
  CHECK_THAT(res.body(), Contains("kaput"));
}

TEST_CASE("http streamed answer arrives as chunks and the connection stays usable", "[http]") {
  Parked parked;
  http::Router r;
  r.add("/events", [&](http::Request, http::Responder out) { parked.add(std::move(out)); });
  r.add("/", [](const http::Request&) { return http::Response::text(200, "after"); });
  LiveHttp live(std::move(r));
  HttpClient client(live.port());
  client.send("GET /events HTTP/1.1\r\nHost: t\r\n\r\n");
  auto responder = parked.take();
  REQUIRE(responder);
  http::Response head;
  head.content_type = "text/event-stream";
  head.body = "data: one\n\n";
  auto stream = responder->stream(std::move(head));
  CHECK(stream.write("data: two\n\n"));
  CHECK(stream.write(""));  // ignored, does not end the body
  stream.end();
  CHECK_FALSE(stream.write("late"));
  const auto res = client.read();
  CHECK(res.result_int() == 200);
  CHECK(res.chunked());
  CHECK(res.body() == "data: one\n\ndata: two\n\n");
  CHECK(client.get("/").body() == "after");
}

TEST_CASE("http on_close runs when a long-poll client disconnects", "[http]") {
  std::atomic<bool> closed{false};
  std::optional<http::Responder> kept;
  http::Router r;
  r.add("/poll", [&](http::Request, http::Responder out) {
    out.on_close([&] { closed = true; });
    kept = out;
  });
  LiveHttp live(std::move(r));
  {
    HttpClient client(live.port());
    client.send("GET /poll HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(LiveHttp::wait_for([&] { return live.on_loop([&] { return kept.has_value(); }); }));
  }
  CHECK(LiveHttp::wait_for([&] { return closed.load(); }));
  CHECK_FALSE(live.on_loop([&] { return kept->open(); }));
  live.on_loop([&] { kept.reset(); });
}

TEST_CASE("http stream to a client that does not read is cut at max_stream_buffer", "[http]") {
  std::atomic<bool> closed{false};
  Parked parked;
  http::Router r;
  r.add("/", [&](http::Request, http::Responder out) {
    out.on_close([&] { closed = true; });
    parked.add(std::move(out));
  });
  http::HttpServerOptions o;
  o.max_stream_buffer = 256 * 1024;
  LiveHttp live(std::move(r), o);
  HttpClient client(live.port());
  client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  auto responder = parked.take();
  REQUIRE(responder);
  auto stream = responder->stream(http::Response{});
  // Paced writes (the loop drains each one long before the next) so only a client that stops
  // reading can grow the queue: the kernel's socket buffers fill first, then the server's.
  const std::string block(16 * 1024, 'x');
  int written = 0;
  for (; written < 3000 && !closed; ++written) {
    stream.write(block);
    std::this_thread::sleep_for(1ms);
  }
  CHECK(LiveHttp::wait_for([&] { return closed.load(); }));
  CHECK(written > 16);  // more than max_stream_buffer went out before the cut
  CHECK_FALSE(stream.open());
}

TEST_CASE("http server holds clients beyond max_connections until a slot frees", "[http]") {
  http::HttpServerOptions o;
  o.max_connections = 1;
  LiveHttp live(echo_router(), o);
  auto first = std::make_unique<HttpClient>(live.port());
  CHECK(first->get("/1").body() == "path=/1 body=");
  HttpClient second(live.port());  // the kernel completes the handshake; the server waits
  second.send("GET /2 HTTP/1.1\r\nHost: t\r\n\r\n");
  std::this_thread::sleep_for(100ms);
  CHECK(live.connections() == 1);
  first.reset();  // frees the slot
  CHECK(second.read().body() == "path=/2 body=");
}

TEST_CASE("http server start names the setting when the port is in use", "[http]") {
  boost::asio::io_context io;
  http::HttpServerOptions o;
  o.setting = "metrics.address";
  http::HttpServer first(io, o, echo_router());
  first.start();
  o.address = first.local_address();
  const std::string error = error_of(o);
  CHECK_THAT(error, Contains("metrics.address") && Contains("address in use") &&
                        Contains(first.local_address()));
}

TEST_CASE("http server refuses a non-loopback address without opt-in", "[http]") {
  http::HttpServerOptions o;
  o.setting = "status.address";
  o.non_loopback_hint = "set status.allow_remote: true";
  o.address = "0.0.0.0:0";
  CHECK_THAT(error_of(o), Contains("status.address") && Contains("not a loopback") &&
                              Contains("status.allow_remote"));
  o.address = ":0";
  CHECK_THAT(error_of(o), Contains("every interface"));
  o.address = "0.0.0.0:0";
  o.allow_non_loopback = true;
  CHECK(error_of(o) == "no error");
}

TEST_CASE("http server start reports a malformed or unresolvable address", "[http]") {
  http::HttpServerOptions o;
  o.setting = "metrics.address";
  o.address = "127.0.0.1";
  CHECK_THAT(error_of(o), Contains("metrics.address") && Contains("no port"));
  o.address = "no-such-host.invalid:2112";
  CHECK_THAT(error_of(o), Contains("cannot resolve"));
}
