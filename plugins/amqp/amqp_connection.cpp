#include "amqp/amqp_connection.hpp"

#include "amqp/wire_format.hpp"

#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace coyote::drivers::amqp {

namespace {

timeval to_timeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(d.count() / 1000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>((d.count() % 1000) * 1000);
  return tv;
}

std::string hint_for(std::uint16_t code) {
  switch (code) {
    case AMQP_ACCESS_REFUSED:
      return " (check the user, password and vhost permissions in amqp.addr)";
    case AMQP_NOT_ALLOWED:
      return " (check the vhost in amqp.addr: it must exist on the broker)";
    case AMQP_PRECONDITION_FAILED:
      return " (the broker already has it with other settings: make durable/auto_delete/"
             "exclusive/queue_headers or exchange_type match, or delete it on the broker)";
    default:
      return "";
  }
}

/// Why a TCP connect fails, for the log: rabbitmq-c reports only "a socket error occurred" (it
/// reads SO_ERROR but keeps it to itself), so one more non-blocking connect asks the kernel.
std::string tcp_error(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int r = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
      r != 0) {
    return ::gai_strerror(r);
  }
  std::string why;
  for (addrinfo* ai = found; ai != nullptr && why.empty(); ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      why = std::system_category().message(errno);
    } else {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 1000) == 1) {
        int error = 0;
        socklen_t len = sizeof error;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
        if (error != 0) why = std::system_category().message(error);
      }
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return why;
}

}  // namespace

std::string describe_status(int status) {
  const int os_error = errno;
  std::string out = amqp_error_string2(status);
  if (status == AMQP_STATUS_SOCKET_ERROR && os_error != 0) {
    out += " (" + std::system_category().message(os_error) + ")";
  } else if (status == AMQP_STATUS_HEARTBEAT_TIMEOUT) {
    out +=
        ": no heartbeat from the broker for two intervals (a network partition or a hung "
        "broker)";
  }
  return out;
}

std::string describe_close(std::uint16_t code, amqp_bytes_t text) {
  return std::to_string(code) + " " + std::string(view_of(text)) + hint_for(code);
}

std::string describe_reply(const amqp_rpc_reply_t& reply) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return "ok";
    case AMQP_RESPONSE_NONE:
      return "no reply from the broker";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return describe_status(reply.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      switch (reply.reply.id) {
        case AMQP_CONNECTION_CLOSE_METHOD: {
          const auto* m = static_cast<const amqp_connection_close_t*>(reply.reply.decoded);
          return "the broker closed the connection: " +
                 describe_close(m->reply_code, m->reply_text);
        }
        case AMQP_CHANNEL_CLOSE_METHOD: {
          const auto* m = static_cast<const amqp_channel_close_t*>(reply.reply.decoded);
          return describe_close(m->reply_code, m->reply_text);
        }
        default:
          return "unexpected reply method " + std::to_string(reply.reply.id);
      }
  }
  return "unknown reply";
}

AmqpConnection::AmqpConnection() : state_(amqp_new_connection()) {}

AmqpConnection::~AmqpConnection() {
  // Destroying closes the socket without the close handshake: the broker then returns every
  // un-acked delivery of this connection to its queue, which is what a lost connection means.
  if (state_ != nullptr) amqp_destroy_connection(state_);
}

int AmqpConnection::fd() const noexcept { return amqp_get_sockfd(state_); }

int AmqpConnection::heartbeat() const noexcept { return amqp_get_heartbeat(state_); }

sdk::Status AmqpConnection::open(const GlobalSettings& s, const std::string& name) {
  if (state_ == nullptr) return sdk::Status::error("out of memory creating an AMQP connection");
  amqp_socket_t* socket = nullptr;
  if (s.tls_enabled) {
    socket = amqp_ssl_socket_new(state_);
    if (socket == nullptr) return sdk::Status::error("cannot create a TLS socket");
    if (!s.tls.root_ca.empty()) {
      if (int r = amqp_ssl_socket_set_cacert(socket, s.tls.root_ca.c_str()); r != AMQP_STATUS_OK) {
        return sdk::Status::error("amqp.tls.root_ca " + s.tls.root_ca + ": " +
                                  amqp_error_string2(r));
      }
    } else if (auto* ctx = static_cast<SSL_CTX*>(amqp_ssl_socket_get_context(socket))) {
      // Like Go's TLS client: verify the broker against the system's CA store.
      SSL_CTX_set_default_verify_paths(ctx);
    }
    if (!s.tls.cert.empty()) {
      if (int r = amqp_ssl_socket_set_key(socket, s.tls.cert.c_str(), s.tls.key.c_str());
          r != AMQP_STATUS_OK) {
        return sdk::Status::error("amqp.tls.cert/key (" + s.tls.cert + ", " + s.tls.key +
                                  "): " + amqp_error_string2(r));
      }
    }
    amqp_ssl_socket_set_verify_peer(socket, 1);
    // Name check by OpenSSL during the handshake, as Go's TLS client does it: DNS names and IP
    // addresses (rabbitmq-c's own check after the handshake knows DNS names only).
    amqp_ssl_socket_set_verify_hostname(socket, 0);
    if (auto* ctx = static_cast<SSL_CTX*>(amqp_ssl_socket_get_context(socket))) {
      X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
      if (X509_VERIFY_PARAM_set1_ip_asc(param, s.host.c_str()) != 1) {
        X509_VERIFY_PARAM_set1_host(param, s.host.c_str(), s.host.size());
      }
    }
  } else {
    socket = amqp_tcp_socket_new(state_);
    if (socket == nullptr) return sdk::Status::error("cannot create a TCP socket");
  }
  timeval connect_tv = to_timeval(s.connect_timeout);
  if (int r = amqp_socket_open_noblock(socket, s.host.c_str(), s.port, &connect_tv);
      r != AMQP_STATUS_OK) {
    std::string why = amqp_error_string2(r);
    if (r == AMQP_STATUS_SOCKET_ERROR) {
      if (auto os = tcp_error(s.host, s.port); !os.empty()) why = os;
    }
    return sdk::Status::error("cannot connect to " + s.host + ":" + std::to_string(s.port) + ": " +
                              why);
  }
  opened_ = true;
  amqp_set_handshake_timeout(state_, &connect_tv);
  timeval rpc_tv = to_timeval(std::chrono::duration_cast<std::chrono::milliseconds>(kRpcTimeout));
  amqp_set_rpc_timeout(state_, &rpc_tv);

  amqp_table_entry_t entry{};
  entry.key = amqp_cstring_bytes("connection_name");
  entry.value.kind = AMQP_FIELD_KIND_UTF8;
  entry.value.value.bytes = bytes_of(name);  // NOLINT(cppcoreguidelines-pro-type-union-access)
  amqp_table_t properties{1, &entry};
  const amqp_rpc_reply_t login = amqp_login_with_properties(
      state_, s.vhost.c_str(), 0, 131072, static_cast<int>(s.heartbeat.count()), &properties,
      AMQP_SASL_METHOD_PLAIN, s.user.c_str(), s.password.c_str());
  if (login.reply_type != AMQP_RESPONSE_NORMAL) {
    broken_ = true;
    std::string why = describe_reply(login);
    if (login.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
        login.library_error == AMQP_STATUS_CONNECTION_CLOSED) {
      why += " during login (wrong user or password in amqp.addr, or no access to the vhost)";
    }
    return sdk::Status::error("login to vhost \"" + s.vhost + "\" as \"" + s.user +
                              "\" failed: " + why);
  }
  // Bound blocking writes too: with heartbeats the broker's silence is noticed by the reader,
  // but a send into a dead peer's full buffer would otherwise wait for TCP's own timeout
  // (about 15 minutes).
  const int hb = amqp_get_heartbeat(state_);
  const unsigned user_timeout_ms = hb > 0 ? static_cast<unsigned>(hb) * 2000U : 30000U;
  const int sock = amqp_get_sockfd(state_);
  if (sock >= 0) {
    ::setsockopt(sock, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
  }
  return sdk::Status::ok();
}

void AmqpConnection::close(std::chrono::milliseconds timeout) {
  if (!opened_ || broken_) return;
  timeval tv = to_timeval(timeout);
  amqp_set_rpc_timeout(state_, &tv);
  (void)amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
  broken_ = true;
}

sdk::Status AmqpConnection::open_channel(amqp_channel_t channel) {
  (void)amqp_channel_open(state_, channel);
  return reply_status("channel.open " + std::to_string(channel), channel);
}

sdk::Status AmqpConnection::reply_status(const std::string& what, amqp_channel_t channel) {
  channel_closed_ = false;
  const amqp_rpc_reply_t reply = amqp_get_rpc_reply(state_);
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) return sdk::Status::ok();
  if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION) {
    if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
      // amqp_simple_rpc returns a channel.close only for the channel it called on.
      channel_closed_ = true;
      send_channel_close_ok(channel);
    } else if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
      send_connection_close_ok();
      broken_ = true;
    }
  } else {
    broken_ = true;
  }
  return sdk::Status::error(what + ": " + describe_reply(reply));
}

void AmqpConnection::send_channel_close_ok(amqp_channel_t channel) {
  amqp_channel_close_ok_t ok{};
  if (amqp_send_method(state_, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok) != AMQP_STATUS_OK) {
    broken_ = true;
  }
}

void AmqpConnection::send_connection_close_ok() {
  amqp_connection_close_ok_t ok{};
  (void)amqp_send_method(state_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
  broken_ = true;
}

}  // namespace coyote::drivers::amqp
