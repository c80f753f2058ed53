#include "http/http_server.hpp"

#include "http/http_address.hpp"
#include "log/log.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace coyote::host::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::string describe(const tcp::endpoint& ep) {
  const auto a = ep.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

class Connection;

}  // namespace

struct HttpServer::State : std::enable_shared_from_this<HttpServer::State> {
  State(asio::io_context& io, HttpServerOptions opts, Router r)
      : options(std::move(opts)), router(std::move(r)), acceptor(io) {}

  void accept();
  void closed(std::uint64_t id);

  HttpServerOptions options;
  Router router;
  std::shared_ptr<spdlog::logger> log;
  tcp::acceptor acceptor;
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> connections;
  std::uint64_t next_id = 1;
  std::string address;
  std::uint16_t port = 0;
  bool listening = false;
  bool accepting = false;
  bool stopped = false;
};

namespace {

constexpr std::size_t kReadChunk = std::size_t{16} * 1024;

class Connection final : public detail::ExchangeSink,
                         public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<HttpServer::State> state, std::uint64_t id,
             std::string peer)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        state_(std::move(state)),
        reader_(state_->options.limits),
        id_(id),
        peer_(std::move(peer)) {}

  void start() {
    // A new connection is expected to send its request promptly: the read deadline applies.
    arm(state_->options.read_timeout, Deadline::kRead);
    read();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    disarm();
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    if (auto ex = exchange_.lock()) ex->disconnected();
    state_->closed(id_);
  }

  void finish(std::uint64_t exchange, Response response) override {
    if (closed_ || exchange != exchange_id_ || phase_ != Phase::kHandling) return;
    if (auto ex = exchange_.lock()) ex->completed();
    const bool keep_alive = keep_alive_ && !response.close && !peer_eof_ && !state_->stopped;
    if (response.status >= 500) {
      state_->log->debug("{} {}: answered {}", state_->options.name, peer_, response.status);
    }
    phase_ = Phase::kResponding;
    close_after_write_ = !keep_alive;
    send(encode_head(response, version_, keep_alive, false));
    if (!head_only_ && !response.body.empty()) send(std::move(response.body));
  }

  void start_stream(std::uint64_t exchange, Response head) override {
    if (closed_ || exchange != exchange_id_ || phase_ != Phase::kHandling) return;
    chunked_ = version_ >= 11;
    const bool keep_alive = chunked_ && keep_alive_ && !head.close && !state_->stopped;
    close_after_write_ = !keep_alive;
    phase_ = Phase::kStreaming;
    stream_ended_ = false;
    send(encode_head(head, version_, keep_alive, chunked_));
    if (head_only_) {
      end_stream();
      return;
    }
    if (!head.body.empty()) stream_write(exchange, std::move(head.body));
  }

  void stream_write(std::uint64_t exchange, std::string data) override {
    if (closed_ || exchange != exchange_id_ || phase_ != Phase::kStreaming || stream_ended_) return;
    if (data.empty()) return;  // an empty chunk would end the body
    std::string bytes = chunked_ ? encode_chunk(data) : std::move(data);
    // Bytes waiting behind a write the kernel has not taken yet: a client that reads slower
    // than the stream grows this, one that keeps up never does.
    if (writing_ && queued_bytes_ + bytes.size() > state_->options.max_stream_buffer) {
      state_->log->info("{} {}: stream client too slow ({} bytes queued), disconnected",
                        state_->options.name, peer_, queued_bytes_);
      close();
      return;
    }
    send(std::move(bytes));
  }

  void stream_end(std::uint64_t exchange) override {
    if (closed_ || exchange != exchange_id_ || phase_ != Phase::kStreaming || stream_ended_) return;
    end_stream();
  }

 private:
  enum class Phase { kReading, kHandling, kResponding, kStreaming };
  enum class Deadline { kNone, kIdle, kRead, kWrite };

  void end_stream() {
    stream_ended_ = true;
    if (auto ex = exchange_.lock()) ex->completed();
    if (chunked_ && !head_only_) send(encode_chunk({}));
    if (!writing_) answer_sent();
  }

  void read() {
    if (reading_ || closed_ || peer_eof_) return;
    // While a request is being handled keep one read pending, to notice a client that leaves;
    // buffer its pipelined bytes only up to one request's worth.
    if (phase_ != Phase::kReading && reader_.buffered() >= reader_.max_buffered()) return;
    reading_ = true;
    socket_.async_read_some(asio::buffer(in_),
                            [self = shared_from_this()](const boost::system::error_code& ec,
                                                        std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(const boost::system::error_code& ec, std::size_t n) {
    reading_ = false;
    if (closed_) return;
    if (ec) {
      if (ec != asio::error::eof) {
        state_->log->debug("{} {}: read failed: {}", state_->options.name, peer_, ec.message());
        close();
        return;
      }
      peer_eof_ = true;
      if (phase_ == Phase::kReading || phase_ == Phase::kStreaming) {
        close();
        return;
      }
      // A client may half-close after its request and still read the answer: keep the socket
      // for it, but tell a long-poll handler its client is going.
      if (phase_ == Phase::kHandling) {
        if (auto ex = exchange_.lock()) ex->disconnected();
      }
      return;
    }
    reader_.append(std::string_view(in_.data(), n));
    if (phase_ == Phase::kReading) {
      process();
    } else {
      read();
    }
  }

  void process() {
    for (;;) {
      switch (reader_.next()) {
        case RequestReader::Result::kNeedMore:
          if (reader_.take_expect_continue()) send("HTTP/1.1 100 Continue\r\n\r\n");
          if (reader_.in_request()) {
            if (deadline_ != Deadline::kRead) arm(state_->options.read_timeout, Deadline::kRead);
          } else if (deadline_ != Deadline::kIdle) {
            arm(state_->options.idle_timeout, Deadline::kIdle);
          }
          read();
          return;
        case RequestReader::Result::kError:
          state_->log->debug("{} {}: {}", state_->options.name, peer_, reader_.error_text());
          answer_error(reader_.error_status(), reader_.error_text());
          return;
        case RequestReader::Result::kRequest:
          dispatch(std::move(reader_.request()));
          return;
      }
    }
  }

  void answer_error(unsigned status, const std::string& text) {
    phase_ = Phase::kResponding;
    close_after_write_ = true;
    Response r = Response::text(status, text + "\n");
    send(encode_head(r, 11, false, false));
    send(std::move(r.body));
  }

  void dispatch(Request request) {
    disarm();  // a handler may take its time (long-poll); its answer is bounded by write_timeout
    phase_ = Phase::kHandling;
    version_ = request.message.version() >= 11 ? 11 : 10;
    keep_alive_ = request.message.keep_alive();
    head_only_ = request.is_head();
    request.peer = peer_;
    auto exchange = std::make_shared<detail::Exchange>(shared_from_this(), socket_.get_executor(),
                                                       ++exchange_id_);
    exchange_ = exchange;
    read();
    state_->router.dispatch(std::move(request), Responder(std::move(exchange)));
  }

  // The answer (whole or the end of a stream) is out: next request, or close.
  void answer_sent() {
    if (close_after_write_ || state_->stopped || peer_eof_) {
      close();
      return;
    }
    phase_ = Phase::kReading;
    exchange_.reset();
    deadline_ = Deadline::kNone;
    process();
  }

  void send(std::string bytes) {
    if (closed_) return;
    queued_bytes_ += bytes.size();
    queue_.push_back(std::move(bytes));
    if (!writing_) write_queued();
  }

  void write_queued() {
    writing_ = true;
    queued_bytes_ = 0;
    inflight_.swap(queue_);
    buffers_.clear();
    for (const auto& b : inflight_) buffers_.emplace_back(b.data(), b.size());
    arm(state_->options.write_timeout, Deadline::kWrite);
    asio::async_write(socket_, buffers_,
                      [self = shared_from_this()](const boost::system::error_code& ec,
                                                  std::size_t n) { self->on_written(ec, n); });
  }

  void on_written(const boost::system::error_code& ec, std::size_t /*n*/) {
    writing_ = false;
    inflight_.clear();
    if (closed_) return;
    if (ec) {
      state_->log->debug("{} {}: write failed: {}", state_->options.name, peer_, ec.message());
      close();
      return;
    }
    if (!queue_.empty()) {
      write_queued();
      return;
    }
    disarm();
    if (phase_ == Phase::kResponding || (phase_ == Phase::kStreaming && stream_ended_)) {
      answer_sent();
    } else if (phase_ == Phase::kReading) {
      process();  // after "100 Continue": re-arm the read deadline
    }
  }

  void arm(std::chrono::milliseconds after, Deadline kind) {
    deadline_ = kind;
    timer_.expires_after(after);
    timer_.async_wait([self = shared_from_this(),
                       gen = ++timer_generation_](const boost::system::error_code& ec) {
      if (ec || self->closed_ || gen != self->timer_generation_) return;
      self->on_deadline();
    });
  }

  void disarm() {
    deadline_ = Deadline::kNone;
    ++timer_generation_;
    timer_.cancel();
  }

  void on_deadline() {
    const Deadline kind = deadline_;
    deadline_ = Deadline::kNone;
    if (kind == Deadline::kRead && phase_ == Phase::kReading && reader_.in_request() && !writing_) {
      state_->log->debug("{} {}: request not complete within {} ms", state_->options.name, peer_,
                         state_->options.read_timeout.count());
      answer_error(408, "request not complete within the read timeout");
      return;
    }
    if (kind == Deadline::kWrite) {
      state_->log->debug("{} {}: write not complete within {} ms", state_->options.name, peer_,
                         state_->options.write_timeout.count());
    }
    close();
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  std::shared_ptr<HttpServer::State> state_;
  RequestReader reader_;
  std::uint64_t id_;
  std::string peer_;
  std::array<char, kReadChunk> in_{};
  Phase phase_ = Phase::kReading;
  Deadline deadline_ = Deadline::kNone;
  std::uint64_t timer_generation_ = 0;
  std::uint64_t exchange_id_ = 0;
  std::weak_ptr<detail::Exchange> exchange_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_only_ = false;
  bool chunked_ = false;
  bool stream_ended_ = false;
  bool close_after_write_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool peer_eof_ = false;
  bool closed_ = false;
  std::vector<std::string> queue_;
  std::vector<std::string> inflight_;
  std::vector<asio::const_buffer> buffers_;
  std::size_t queued_bytes_ = 0;  // in queue_, not yet handed to async_write
};

}  // namespace

void HttpServer::State::accept() {
  if (!listening || accepting || stopped || connections.size() >= options.max_connections) return;
  accepting = true;
  acceptor.async_accept(
      [self = shared_from_this()](const boost::system::error_code& ec, tcp::socket socket) {
        self->accepting = false;
        if (ec == asio::error::operation_aborted || self->stopped || !self->listening) return;
        if (ec) {
          // EMFILE and friends: keep serving the open connections, try again.
          self->log->warn("{} accept on {} failed: {}", self->options.name, self->address,
                          ec.message());
        } else {
          boost::system::error_code ignored;
          socket.set_option(tcp::no_delay(true), ignored);
          const auto ep = socket.remote_endpoint(ignored);
          const std::uint64_t id = self->next_id++;
          auto conn = std::make_shared<Connection>(std::move(socket), self, id,
                                                   ignored ? std::string("?") : describe(ep));
          self->connections.emplace(id, conn);
          conn->start();
        }
        self->accept();
      });
}

void HttpServer::State::closed(std::uint64_t id) {
  connections.erase(id);
  accept();  // a slot is free again
}

HttpServer::HttpServer(asio::io_context& io, HttpServerOptions options, Router router)
    : io_(io), state_(std::make_shared<State>(io, std::move(options), std::move(router))) {
  state_->log = log::get(state_->options.name);
  if (state_->options.max_connections == 0) state_->options.max_connections = 1;
}

HttpServer::~HttpServer() {
  try {
    stop();
  } catch (...) {  // NOLINT(bugprone-empty-catch): nothing left to report to at destruction
  }
}

Router& HttpServer::router() noexcept { return state_->router; }

void HttpServer::start() {
  if (state_->listening) throw std::logic_error("HttpServer::start called twice");
  const HttpServerOptions& o = state_->options;
  HttpAddress address;
  try {
    address = parse_http_address(o.address, o.setting);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  const std::string shown = o.setting + " " + address.to_string();

  std::vector<tcp::endpoint> endpoints;
  if (address.host.empty()) {
    endpoints.emplace_back(tcp::v6(), address.port);  // dual-stack "every interface", as Go
    endpoints.emplace_back(tcp::v4(), address.port);
  } else {
    tcp::resolver resolver(io_);
    boost::system::error_code ec;
    const auto results =
        resolver.resolve(address.host, std::to_string(address.port),
                         tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty()) {
      throw std::runtime_error("cannot listen on " + shown + ": cannot resolve \"" + address.host +
                               "\": " + ec.message() +
                               "; use an IP address or a name in /etc/hosts");
    }
    for (const auto& r : results) endpoints.push_back(r.endpoint());
  }
  if (!o.allow_non_loopback) {
    for (const auto& ep : endpoints) {
      if (address.host.empty() || !is_loopback_address(ep.address().to_string())) {
        throw std::runtime_error(
            "refusing to listen on " + shown + ": " +
            (address.host.empty() ? std::string("every interface") : ep.address().to_string()) +
            " is not a loopback address and this endpoint has no authentication; use "
            "127.0.0.1 or [::1], or " +
            o.non_loopback_hint);
      }
    }
  }

  boost::system::error_code ec;
  for (const auto& ep : endpoints) {
    boost::system::error_code step;
    tcp::acceptor& acc = state_->acceptor;
    acc.open(ep.protocol(), step);
    if (!step && ep.address().is_v6() && address.host.empty()) {
      acc.set_option(asio::ip::v6_only(false), step);
    }
    if (!step) acc.set_option(asio::socket_base::reuse_address(true), step);
    if (!step) acc.bind(ep, step);
    if (!step) acc.listen(asio::socket_base::max_listen_connections, step);
    if (!step) {
      ec = {};
      break;
    }
    ec = step;
    boost::system::error_code ignored;
    acc.close(ignored);
    // Only "every interface" falls back (IPv6 disabled); a named address's error is final.
    if (!address.host.empty() || step != asio::error::address_family_not_supported) break;
  }
  if (ec) {
    std::string hint;
    if (ec == asio::error::address_in_use) {
      hint = " (address in use): is another coyote or RoadRunner running? stop it or set another " +
             o.setting;
    } else if (ec == asio::error::access_denied) {
      hint = " (permission denied): pick a port above 1023";
    } else if (ec == boost::system::errc::address_not_available) {
      hint = " (address not available): the address is not on this machine";
    } else {
      hint = ": " + ec.message();
    }
    throw std::runtime_error("cannot listen on " + shown + hint);
  }
  const auto local = state_->acceptor.local_endpoint();
  state_->address = describe(local);
  state_->port = local.port();
  state_->listening = true;
  state_->stopped = false;
  state_->accept();
  state_->log->info("{} listening on http://{}", o.name, state_->address);
}

void HttpServer::stop() {
  state_->stopped = true;
  if (state_->listening) {
    state_->listening = false;
    boost::system::error_code ignored;
    state_->acceptor.close(ignored);
  }
  std::vector<std::shared_ptr<Connection>> open;
  for (auto& [id, weak] : state_->connections) {
    if (auto c = weak.lock()) open.push_back(std::move(c));
  }
  for (auto& c : open) c->close();
  state_->connections.clear();
}

std::string HttpServer::local_address() const { return state_->address; }

std::uint16_t HttpServer::port() const noexcept { return state_->port; }

std::size_t HttpServer::connection_count() const noexcept { return state_->connections.size(); }

}  // namespace coyote::host::http
