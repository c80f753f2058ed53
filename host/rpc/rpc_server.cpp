#include "rpc/rpc_server.hpp"

#include "goridge/frame_buffer.hpp"
#include "log/log.hpp"
#include "rpc/builtin_methods.hpp"
#include "rpc/request.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
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
  std::size_t connection_limit = 0;  ///< set by start()
  std::size_t buffered = 0;          ///< sum of the connections' read buffer capacities
  std::size_t unsent = 0;            ///< sum of the connections' unsent reply bytes
  /// Every connection reads into this, then keeps only what it received: one loop thread, so
  /// one scratch buffer serves all, and an idle connection holds no read buffer at all.
  std::vector<std::uint8_t> scratch = std::vector<std::uint8_t>(goridge::FrameBuffer::kReadSize);
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
        frames_(state_->options.max_frame_size),
        idle_timer_(socket_.get_executor()) {}

  void start() {
    boost::system::error_code ignored;
    socket_.non_blocking(true, ignored);
    touch();
    read_more();
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(Socket::shutdown_both, ignored);
    socket_.close(ignored);
    idle_timer_.cancel();
    state_->buffered -= accounted_;
    accounted_ = 0;
    state_->connections.erase(id_);
  }

 private:
  /// Reading stops while the client has too much unanswered: its replies unsent beyond the
  /// bound, or too many calls in flight. It resumes as replies are written.
  [[nodiscard]] bool paused() const noexcept {
    return unsent_ > state_->options.max_unsent_bytes ||
           calls_ >= state_->options.max_calls_in_flight;
  }

  void read_more() {
    if (closed_ || waiting_ || paused()) return;
    waiting_ = true;
    socket_.async_wait(Socket::wait_read,
                       [self = this->shared_from_this()](const boost::system::error_code& ec) {
                         self->waiting_ = false;
                         self->guarded([&] { self->on_readable(ec); });
                       });
  }

  /// No exception of one connection (std::bad_alloc included) may leave the event loop: it
  /// closes that connection.
  template <typename Fn>
  void guarded(Fn&& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      state_->log->error("rpc connection {} ({}) closed: {}", id_, peer_, e.what());
      close();
    }
  }

  void on_readable(const boost::system::error_code& ec) {
    if (closed_) return;
    if (ec) {
      if (ec != asio::error::operation_aborted) {
        state_->log->debug("rpc connection {} ({}): wait failed: {}", id_, peer_, ec.message());
      }
      close();
      return;
    }
    // A request partly here (a large PushBatch arrives in many reads) is read straight into
    // its own buffer when the growth fits the server's limit: copying every read from the
    // scratch buffer cost ~100 instructions per job of a 1 000-job batch (callgrind,
    // docs/architecture.md). The read asks for no more than the frame still misses, so the
    // buffer grows by what the request needs, as with the scratch copy. Otherwise, and for a
    // new request, the shared scratch buffer keeps an idle connection's memory at zero.
    if (const std::size_t missing = frames_.missing(); missing != 0) {
      const std::size_t want = std::min(missing, goridge::FrameBuffer::kReadSize);
      if (growth_fits(want)) {
        const auto space = frames_.prepare(want).first(want);
        account();
        const std::optional<std::size_t> n = read_into(space);
        if (!n) return;
        frames_.commit(*n);
        process();
        return;
      }
    }
    auto& scratch = state_->scratch;
    const std::optional<std::size_t> n = read_into(scratch);
    if (!n) return;
    // The server's memory follows what clients sent (FrameBuffer grows with the bytes that
    // arrived), and all partial requests together stay within max_buffered_bytes.
    if (!growth_fits(*n)) {
      state_->log->warn(
          "rpc connection {} ({}) closed: its partial request ({} bytes so far) would take the "
          "server's read buffers beyond {} bytes",
          id_, peer_, frames_.buffered() + *n, state_->options.max_buffered_bytes);
      close();
      return;
    }
    frames_.append({scratch.data(), *n});
    account();
    process();
  }

  /// Whether making room for `bytes` more keeps all connections' read buffers together within
  /// max_buffered_bytes (true when the buffer needs no growth).
  [[nodiscard]] bool growth_fits(std::size_t bytes) const {
    const std::size_t before = frames_.capacity();
    const std::size_t after = frames_.capacity_after_prepare(bytes);
    return after <= before ||
           state_->buffered + (after - before) <= state_->options.max_buffered_bytes;
  }

  /// One non-blocking read into `into`: the byte count, or nullopt when there is nothing to
  /// process (nothing ready yet: the wait is re-armed; the peer left or the read failed: the
  /// connection is closed).
  std::optional<std::size_t> read_into(std::span<std::uint8_t> into) {
    boost::system::error_code rec;
    const std::size_t n = socket_.read_some(asio::buffer(into.data(), into.size()), rec);
    if (rec == asio::error::would_block || rec == asio::error::try_again) {
      read_more();
      return std::nullopt;
    }
    if (rec) {
      if (rec != asio::error::eof) {
        state_->log->debug("rpc connection {} ({}): read failed: {}", id_, peer_, rec.message());
      } else if (frames_.buffered() != 0) {
        state_->log->debug("rpc connection {} ({}) closed mid-frame with {} bytes unread", id_,
                           peer_, frames_.buffered());
      }
      close();
      return std::nullopt;
    }
    touch();
    return n;
  }

  /// Dispatches the whole requests buffered, as long as the connection is not paused, then
  /// reads on. Re-entered from a reply only through asio::post (never recursively).
  void process() {
    if (closed_ || processing_) return;
    processing_ = true;
    // The size limit is checked from each header, so a client cannot make the server buffer more
    // than max_frame_size; the request rules (two options, method length) once a frame is whole.
    while (!closed_ && !paused()) {
      auto next = frames_.next();
      if (!next) {
        state_->log->warn("rpc connection {} ({}) closed: {}{}", id_, peer_, next.error(),
                          frames_.problem() == goridge::ParseProblem::kBadCrc
                              ? " (is the client speaking goridge RPC, as RoadRunner's clients "
                                "do?)"
                              : "");
        processing_ = false;
        close();
        return;
      }
      if (!*next) break;
      handle_frame(**next);
    }
    processing_ = false;
    if (closed_) return;
    if (frames_.buffered() == 0) {
      frames_.release();
      account();
    }
    read_more();
  }

  void account() {
    const std::size_t now = frames_.capacity();
    state_->buffered = state_->buffered - accounted_ + now;
    accounted_ = now;
  }

  void touch() {
    last_activity_ = std::chrono::steady_clock::now();
    arm_idle();
  }

  void arm_idle() {
    const auto idle = state_->options.idle_timeout;
    if (idle.count() <= 0 || closed_ || idle_armed_) return;
    idle_armed_ = true;
    idle_timer_.expires_at(last_activity_ + idle);
    idle_timer_.async_wait([self = this->shared_from_this()](const boost::system::error_code& ec) {
      self->idle_armed_ = false;
      if (ec || self->closed_) return;
      const auto now = std::chrono::steady_clock::now();
      if (self->calls_ > 0 || self->unsent_ > 0) {
        self->last_activity_ = now;  // busy, not idle: measured again from now
      } else if (now >= self->last_activity_ + self->state_->options.idle_timeout) {
        self->state_->log->debug("rpc connection {} ({}) closed: idle for {} ms (rpc.idle_timeout)",
                                 self->id_, self->peer_,
                                 self->state_->options.idle_timeout.count());
        self->close();
        return;
      }
      self->arm_idle();
    });
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
    ++calls_;
    state_->methods.dispatch(call, [self = this->shared_from_this(), seq = req.seq,
                                    codec = req.codec, method = std::string(req.method)](
                                       const sdk::Status& status, const std::string& body) {
      self->guarded([&] {
        --self->calls_;
        if (self->state_->observer) self->state_->observer(method, status.is_ok());
        if (status) {
          self->send(encode_reply(seq, codec, method, body));
        } else {
          self->send(encode_error(seq, codec, method, status.message()));
        }
        self->resume_later();
      });
    });
  }

  /// A reply may come inside dispatch (most do): the loop in process() goes on by itself then.
  /// One that comes later may have unpaused the connection.
  void resume_later() {
    if (processing_ || closed_ || paused() || resume_posted_) return;
    resume_posted_ = true;
    asio::post(socket_.get_executor(), [self = this->shared_from_this()] {
      self->resume_posted_ = false;
      self->guarded([&] { self->process(); });
    });
  }

  void send(std::string frame) {
    if (closed_) return;
    unsent_ += frame.size();
    state_->unsent += frame.size();
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
          std::size_t written = 0;
          for (const auto& f : self->inflight_) written += f.size();
          self->unsent_ -= written;
          self->state_->unsent -= written;
          self->inflight_.clear();
          self->writing_ = false;
          if (self->closed_) return;
          if (ec) {
            self->state_->log->debug("rpc connection {} ({}): write failed: {}", self->id_,
                                     self->peer_, ec.message());
            self->close();
            return;
          }
          self->touch();
          if (!self->queue_.empty()) {
            self->write_queued();
          } else {
            std::vector<std::string>().swap(self->inflight_);  // an idle connection holds nothing
          }
          self->resume_later();
        });
  }

  Socket socket_;
  std::shared_ptr<RpcServer::State> state_;
  std::uint64_t id_;
  std::string peer_;
  goridge::FrameBuffer frames_;
  asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_activity_{};
  std::vector<std::string> queue_;
  std::vector<std::string> inflight_;
  std::vector<asio::const_buffer> buffers_;
  std::size_t accounted_ = 0;  ///< this connection's share of State::buffered
  std::size_t unsent_ = 0;     ///< reply bytes queued or being written
  std::size_t calls_ = 0;      ///< requests dispatched and not yet answered
  bool writing_ = false;
  bool waiting_ = false;
  bool processing_ = false;
  bool resume_posted_ = false;
  bool idle_armed_ = false;
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
  Listener(asio::io_context& io, std::shared_ptr<State> state,
           const typename Protocol::endpoint& endpoint, std::string address, std::string unix_path)
      : acceptor_(io),
        retry_(io),
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
    try {
      retry_.cancel();
    } catch (const boost::system::system_error&) {
      // Nothing to cancel that matters: the acceptor closes next and the state is stopped.
    }
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
      try {
        if (!accepted(ec, std::move(socket))) return;  // backing off: the timer accepts again
      } catch (const std::exception& e) {
        state->log->error("rpc accept on {}: {}", address_, e.what());
      }
      accept();
    });
  }

  /// Rate-limited warning: the first of a kind at once, then one per kLogEvery with the count.
  void complain(std::size_t& count, std::chrono::steady_clock::time_point& last,
                const std::string& what) {
    ++count;
    const auto now = std::chrono::steady_clock::now();
    if (last != std::chrono::steady_clock::time_point{} && now - last < kLogEvery) return;
    state_->log->warn("{} ({} time(s) since the last such warning)", what, count);
    count = 0;
    last = now;
  }

  /// False when accepting must wait (the process is out of descriptors).
  bool accepted(const boost::system::error_code& ec, typename Protocol::socket socket) {
    if (ec) {
      // EMFILE and friends: keep serving existing connections, and retry accepting after a
      // back-off: retrying at once spun a core and wrote a million warnings a second.
      complain(
          failures_, failure_logged_,
          "rpc accept on " + address_ + " failed: " + ec.message() + "; retrying with back-off");
      backoff_ = std::min(kMaxBackoff, backoff_.count() == 0 ? kMinBackoff : backoff_ * 2);
      retry_.expires_after(backoff_);
      retry_.async_wait([this, state = state_](const boost::system::error_code& e) {
        if (e || state->stopped) return;
        accept();
      });
      return false;
    }
    backoff_ = std::chrono::milliseconds{0};
    if (state_->connections.size() >= state_->connection_limit) {
      boost::system::error_code ignored;
      socket.close(ignored);
      complain(refused_, refused_logged_,
               "rpc on " + address_ + ": a connection was closed at once: " +
                   std::to_string(state_->connection_limit) +
                   " connections are open (rpc.max_connections)");
      return true;
    }
    {
      {
        std::string peer = address_;
        if constexpr (std::is_same_v<Protocol, asio::ip::tcp>) {
          boost::system::error_code ignored;
          socket.set_option(asio::ip::tcp::no_delay(true), ignored);
          const auto ep = socket.remote_endpoint(ignored);
          if (!ignored) peer = describe(ep);
        }
        const std::uint64_t id = state_->next_id++;
        auto conn = std::make_shared<Connection<Protocol>>(std::move(socket), state_, id, peer);
        state_->connections.emplace(id, conn);
        conn->start();
      }
    }
    return true;
  }

  static constexpr std::chrono::milliseconds kMinBackoff{10};
  static constexpr std::chrono::milliseconds kMaxBackoff{1000};
  static constexpr std::chrono::seconds kLogEvery{10};

  typename Protocol::acceptor acceptor_;
  asio::steady_timer retry_;
  std::chrono::milliseconds backoff_{0};
  std::size_t failures_ = 0;
  std::size_t refused_ = 0;
  std::chrono::steady_clock::time_point failure_logged_{};
  std::chrono::steady_clock::time_point refused_logged_{};
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
  auto& options = state_->options;
  options.max_buffered_bytes = std::max<std::size_t>(
      options.max_buffered_bytes, std::size_t{options.max_frame_size} + goridge::kMaxHeaderSize);
  state_->connection_limit = options.max_connections;
  struct rlimit files {};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
    const auto soft = static_cast<std::size_t>(files.rlim_cur);
    const std::size_t room = soft > 2 * kFdReserve ? soft - kFdReserve : soft / 2;
    if (room < state_->connection_limit) {
      state_->log->warn(
          "rpc: at most {} connections (rpc.max_connections is {}): the open-file limit is {} and "
          "{} descriptors stay free for workers; raise `ulimit -n` to allow more",
          room, options.max_connections, soft, kFdReserve);
      state_->connection_limit = room;
    }
  }
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
    const auto endpoint = results.begin()->endpoint();
    listener_ = std::make_unique<Listener<asio::ip::tcp>>(io_, state_, endpoint,
                                                          address.to_string(), std::string());
    if (!endpoint.address().is_loopback()) {
      // jobs.* has no authentication: anyone who reaches the port can push, destroy, reset.
      state_->log->warn(
          "rpc listens on {}, reachable beyond this machine{}: the RPC has no authentication "
          "(anyone who reaches it can push jobs, destroy pipelines, reset workers); listen on "
          "127.0.0.1 or a unix socket, or firewall the port",
          listener_->address(),
          endpoint.address().is_unspecified() ? " (every interface)" : std::string());
    }
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

std::size_t RpcServer::buffered_bytes() const noexcept { return state_->buffered; }

std::size_t RpcServer::unsent_bytes() const noexcept { return state_->unsent; }

std::size_t RpcServer::connection_limit() const noexcept { return state_->connection_limit; }

}  // namespace coyote::host::rpc
