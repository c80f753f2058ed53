#include "rpc/rpc_server.hpp"

#include "goridge/frame_buffer.hpp"
#include "log/log.hpp"
#include "rpc/builtin_methods.hpp"
#include "rpc/request.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <unordered_map>
#include <vector>

namespace coyote::host::rpc {
namespace asio = boost::asio;

class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void close() = 0;
};

struct RpcServer::State {
  MethodTable methods;
  RpcServer::CallObserver observer;
  RpcServerOptions options;
  std::shared_ptr<spdlog::logger> log;
  std::unordered_map<std::uint64_t, std::weak_ptr<ConnectionBase>> connections;
  std::uint64_t next_id = 1;
  bool stopped = false;
};

namespace {

template <typename Protocol>
class Connection final : public ConnectionBase,
                         public std::enable_shared_from_this<Connection<Protocol>> {
 public:
  using Socket = typename Protocol::socket;

  Connection(Socket socket, std::shared_ptr<RpcServer::State> state, std::uint64_t id,
             std::string peer)
      : socket_(std::move(socket)),
        state_(std::move(state)),
        id_(id),
        peer_(std::move(peer)),
        frames_(state_->options.max_frame_size) {}

  void start() { read_more(); }

  void close() override {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(Socket::shutdown_both, ignored);
    socket_.close(ignored);
    state_->connections.erase(id_);
  }

 private:
  void read_more() {
    if (closed_) return;
    const auto space = frames_.prepare();
    socket_.async_read_some(
        asio::buffer(space.data(), space.size()),
        [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          self->on_read(ec, n);
        });
  }

  void on_read(const boost::system::error_code& ec, std::size_t n) {
    if (closed_) return;
    if (ec) {
      if (ec != asio::error::eof && ec != asio::error::operation_aborted) {
        state_->log->debug("rpc connection {} ({}): read failed: {}", id_, peer_, ec.message());
      } else if (frames_.buffered() != 0) {
        state_->log->debug("rpc connection {} ({}) closed mid-frame with {} bytes unread", id_,
                           peer_, frames_.buffered());
      }
      close();
      return;
    }
    frames_.commit(n);
    // The size limit is checked from each header, so a client cannot make the server buffer more
    // than max_frame_size; the request rules (two options, method length) once a frame is whole.
    while (!closed_) {
      auto next = frames_.next();
      if (!next) {
        state_->log->warn("rpc connection {} ({}) closed: {}{}", id_, peer_, next.error(),
                          frames_.problem() == goridge::ParseProblem::kBadCrc
                              ? " (is the client speaking goridge RPC, as RoadRunner's clients "
                                "do?)"
                              : "");
        close();
        return;
      }
      if (!*next) break;
      handle_frame(**next);
    }
    read_more();
  }

  void handle_frame(const goridge::FrameBuffer::Frame& frame) {
    auto request = request_from(frame.header, frame.payload);
    if (!request) {
      state_->log->warn("rpc connection {} ({}) closed: bad request header: {}", id_, peer_,
                        request.error());
      close();
      return;
    }
    const Request& req = *request;
    Call call{req.codec, req.method, req.body};
    state_->methods.dispatch(call, [self = this->shared_from_this(), seq = req.seq,
                                    codec = req.codec, method = std::string(req.method)](
                                       const sdk::Status& status, const std::string& body) {
      if (self->state_->observer) self->state_->observer(method, status.is_ok());
      if (status) {
        self->send(encode_reply(seq, codec, method, body));
      } else {
        self->send(encode_error(seq, codec, method, status.message()));
      }
    });
  }

  void send(std::string frame) {
    if (closed_) return;
    queue_.push_back(std::move(frame));
    if (!writing_) write_queued();
  }

  void write_queued() {
    writing_ = true;
    inflight_.swap(queue_);
    buffers_.clear();
    for (const auto& f : inflight_) buffers_.emplace_back(f.data(), f.size());
    asio::async_write(
        socket_, buffers_,
        [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t) {
          self->inflight_.clear();
          self->writing_ = false;
          if (self->closed_) return;
          if (ec) {
            self->state_->log->debug("rpc connection {} ({}): write failed: {}", self->id_,
                                     self->peer_, ec.message());
            self->close();
            return;
          }
          if (!self->queue_.empty()) self->write_queued();
        });
  }

  Socket socket_;
  std::shared_ptr<RpcServer::State> state_;
  std::uint64_t id_;
  std::string peer_;
  goridge::FrameBuffer frames_;
  std::vector<std::string> queue_;
  std::vector<std::string> inflight_;
  std::vector<asio::const_buffer> buffers_;
  bool writing_ = false;
  bool closed_ = false;
};

std::string describe(const asio::ip::tcp::endpoint& ep) {
  const auto addr = ep.address();
  return "tcp://" + (addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string()) + ":" +
         std::to_string(ep.port());
}

// Decides what to do with an existing file at a unix socket path: replace a socket nobody listens
// on (left by a crashed process), refuse a live one or anything that is not a socket.
void clear_stale_socket(asio::io_context& io, const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;
  if (!S_ISSOCK(st.st_mode)) {
    throw std::runtime_error("cannot listen on unix://" + path +
                             ": the path exists and is not a socket; remove it or set another "
                             "rpc.listen");
  }
  asio::local::stream_protocol::socket probe(io);
  boost::system::error_code ec;
  probe.connect(asio::local::stream_protocol::endpoint(path), ec);
  if (!ec) {
    throw std::runtime_error("cannot listen on unix://" + path +
                             ": address in use (another process is listening on this socket); "
                             "stop it or set another rpc.listen");
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    throw std::runtime_error(
        "cannot listen on unix://" + path +
        ": cannot remove the stale socket: " + std::system_category().message(errno));
  }
}

}  // namespace

class RpcServer::ListenerBase {
 public:
  virtual ~ListenerBase() = default;
  virtual void close() = 0;
  [[nodiscard]] virtual std::string address() const = 0;
};

template <typename Protocol>
class RpcServer::Listener final : public RpcServer::ListenerBase {
 public:
  Listener(asio::io_context& io, std::shared_ptr<State> state, typename Protocol::endpoint endpoint,
           std::string address, std::string unix_path)
      : acceptor_(io),
        state_(std::move(state)),
        address_(std::move(address)),
        unix_path_(std::move(unix_path)) {
    const auto fail = [&](const boost::system::error_code& ec, std::string_view what) {
      std::string hint;
      if (ec == asio::error::address_in_use)
        hint = "; is another coyote or RoadRunner running? set another rpc.listen";
      if (ec == asio::error::access_denied)
        hint = "; pick a port above 1023 or a writable socket path";
      throw std::runtime_error(
          "cannot listen on " + address_ + ": " + std::string(what) + ": " +
          (ec == asio::error::address_in_use ? std::string("address in use") : ec.message()) +
          hint);
    };
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (ec) fail(ec, "open");
    if constexpr (std::is_same_v<Protocol, asio::ip::tcp>) {
      acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    }
    acceptor_.bind(endpoint, ec);
    if (ec) fail(ec, "bind");
    if (!unix_path_.empty()) {
      bound_unix_ = true;
      if (::chmod(unix_path_.c_str(), static_cast<mode_t>(state_->options.unix_socket_mode)) != 0) {
        throw std::runtime_error("cannot set the mode of unix://" + unix_path_ + ": " +
                                 std::system_category().message(errno));
      }
    }
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) fail(ec, "listen");
    if constexpr (std::is_same_v<Protocol, asio::ip::tcp>)
      address_ = describe(acceptor_.local_endpoint());
    accept();
  }

  ~Listener() override { close(); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  void close() override {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    if (bound_unix_) {
      bound_unix_ = false;
      ::unlink(unix_path_.c_str());
    }
  }

  [[nodiscard]] std::string address() const override { return address_; }

 private:
  void accept() {
    acceptor_.async_accept([this, state = state_](const boost::system::error_code& ec,
                                                  typename Protocol::socket socket) {
      if (ec == asio::error::operation_aborted || state->stopped) return;
      if (ec) {
        // EMFILE and friends: keep serving existing connections, retry accepting.
        state->log->warn("rpc accept on {} failed: {}", address_, ec.message());
      } else {
        std::string peer = address_;
        if constexpr (std::is_same_v<Protocol, asio::ip::tcp>) {
          boost::system::error_code ignored;
          socket.set_option(asio::ip::tcp::no_delay(true), ignored);
          const auto ep = socket.remote_endpoint(ignored);
          if (!ignored) peer = describe(ep);
        }
        const std::uint64_t id = state->next_id++;
        auto conn = std::make_shared<Connection<Protocol>>(std::move(socket), state, id, peer);
        state->connections.emplace(id, conn);
        conn->start();
      }
      accept();
    });
  }

  typename Protocol::acceptor acceptor_;
  std::shared_ptr<State> state_;
  std::string address_;
  std::string unix_path_;
  bool bound_unix_ = false;
};

RpcServer::RpcServer(asio::io_context& io, RpcServerOptions options, MethodTable methods)
    : io_(io), state_(std::make_shared<State>()) {
  state_->methods = std::move(methods);
  state_->options = std::move(options);
  state_->log = log::get("rpc");
}

RpcServer::RpcServer(asio::io_context& io, const RpcServerOptions& options, jobs::JobsService& jobs,
                     worker::PoolControl* pools)
    : RpcServer(io, options,
                default_methods(jobs, pools,
                                options.version.empty() ? coyote_version() : options.version)) {}

RpcServer::~RpcServer() { stop(); }

MethodTable& RpcServer::methods() noexcept { return state_->methods; }

void RpcServer::set_call_observer(CallObserver observer) { state_->observer = std::move(observer); }

void RpcServer::start() {
  if (listener_) throw std::logic_error("RpcServer::start called twice");
  state_->stopped = false;
  ListenAddress address;
  try {
    address = parse_listen_address(state_->options.listen);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  if (address.kind == ListenAddress::Kind::kUnix) {
    clear_stale_socket(io_, address.path);
    listener_ = std::make_unique<Listener<asio::local::stream_protocol>>(
        io_, state_, asio::local::stream_protocol::endpoint(address.path), address.to_string(),
        address.path);
  } else {
    asio::ip::tcp::resolver resolver(io_);
    boost::system::error_code ec;
    const auto results = resolver.resolve(address.host, std::to_string(address.port),
                                          asio::ip::tcp::resolver::passive, ec);
    if (ec || results.empty()) {
      throw std::runtime_error("cannot listen on " + address.to_string() +
                               ": cannot resolve host \"" + address.host + "\": " + ec.message());
    }
    listener_ = std::make_unique<Listener<asio::ip::tcp>>(io_, state_, results.begin()->endpoint(),
                                                          address.to_string(), std::string());
  }
  state_->log->info("rpc listening on {}", listener_->address());
}

void RpcServer::stop() {
  state_->stopped = true;
  if (listener_) {
    listener_->close();
    listener_.reset();
  }
  // close() erases from the map: collect first.
  std::vector<std::shared_ptr<ConnectionBase>> open;
  for (auto& [id, weak] : state_->connections) {
    if (auto conn = weak.lock()) open.push_back(std::move(conn));
  }
  for (auto& conn : open) conn->close();
  state_->connections.clear();
}

std::string RpcServer::local_address() const {
  return listener_ ? listener_->address() : std::string();
}

std::size_t RpcServer::connection_count() const noexcept { return state_->connections.size(); }

}  // namespace coyote::host::rpc
