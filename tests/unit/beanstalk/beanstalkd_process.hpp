// BeanstalkdProcess: a real beanstalkd for the driver's tests (free loopback port, binlog in a
// temporary directory, stopped by pid), and RawClient: a blocking client to look at it directly.
#pragma once

#include "beanstalk/beanstalk_protocol.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace coyote::test {

inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

inline int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

class BeanstalkdProcess {
 public:
  BeanstalkdProcess() : port_(free_port()) {
    char templ[] = "/tmp/coyote-beanstalkd-XXXXXX";
    if (::mkdtemp(templ) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = templ;
    start();
  }
  ~BeanstalkdProcess() {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  BeanstalkdProcess(const BeanstalkdProcess&) = delete;
  BeanstalkdProcess& operator=(const BeanstalkdProcess&) = delete;

  void start() {
    const std::string port = std::to_string(port_);
    std::vector<std::string> args{"beanstalkd", "-l", "127.0.0.1", "-p", port, "-b", dir_};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawnp(&pid_, "beanstalkd", nullptr, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot start beanstalkd (is it installed?)");
    }
    for (int i = 0; i < 200; ++i) {
      const int fd = connect_to(port_);
      if (fd >= 0) {
        ::close(fd);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    throw std::runtime_error("beanstalkd did not listen on port " + port);
  }

  /// kill -9: the binlog keeps what it had.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  [[nodiscard]] int port() const noexcept { return port_; }
  [[nodiscard]] std::string address() const { return "tcp://127.0.0.1:" + std::to_string(port_); }

 private:
  int port_;
  std::string dir_;
  pid_t pid_ = -1;
};

/// One blocking connection for a test to inspect or feed the server.
class RawClient {
 public:
  explicit RawClient(int port) : fd_(connect_to(port)) {
    if (fd_ < 0) throw std::runtime_error("cannot connect to beanstalkd");
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  struct Answer {
    drivers::beanstalk::protocol::ReplyKind kind;
    std::uint64_t number = 0;
    std::string data;
  };

  /// Sends one command (already encoded) and reads its reply.
  Answer call(const std::string& command) {
    if (::write(fd_, command.data(), command.size()) != static_cast<ssize_t>(command.size())) {
      throw std::runtime_error("write to beanstalkd failed");
    }
    for (;;) {
      auto r = drivers::beanstalk::protocol::parse_reply(in_, 1 << 20);
      if (r.status == drivers::beanstalk::protocol::ParseStatus::kOk) {
        Answer a{r.reply.kind, r.reply.number, std::string(r.reply.data)};
        in_.erase(0, r.consumed);
        return a;
      }
      if (r.status == drivers::beanstalk::protocol::ParseStatus::kInvalid) {
        throw std::runtime_error("bad reply: " + r.error);
      }
      char buf[65536];
      const auto n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) throw std::runtime_error("beanstalkd closed the connection");
      in_.append(buf, static_cast<std::size_t>(n));
    }
  }

  Answer put(std::string_view body, std::uint32_t pri = 0, std::uint32_t delay = 0,
             std::uint32_t ttr = 30) {
    std::string c;
    drivers::beanstalk::protocol::put(c, pri, delay, ttr, body);
    return call(c);
  }
  Answer use(std::string_view tube) {
    std::string c;
    drivers::beanstalk::protocol::use(c, tube);
    return call(c);
  }
  Answer watch(std::string_view tube) {
    std::string c;
    drivers::beanstalk::protocol::watch(c, tube);
    return call(c);
  }
  Answer reserve(std::uint32_t timeout = 0) {
    std::string c;
    drivers::beanstalk::protocol::reserve_with_timeout(c, timeout);
    return call(c);
  }
  /// The tube's counts; all zero when the tube does not exist.
  drivers::beanstalk::protocol::TubeStats tube(std::string_view name) {
    std::string c;
    drivers::beanstalk::protocol::stats_tube(c, name);
    const auto a = call(c);
    if (a.kind != drivers::beanstalk::protocol::ReplyKind::kOk) return {};
    return drivers::beanstalk::protocol::parse_tube_stats(a.data).value_or(
        drivers::beanstalk::protocol::TubeStats{});
  }
  std::optional<drivers::beanstalk::protocol::JobStats> job(std::uint64_t id) {
    std::string c;
    drivers::beanstalk::protocol::stats_job(c, id);
    const auto a = call(c);
    if (a.kind != drivers::beanstalk::protocol::ReplyKind::kOk) return std::nullopt;
    return drivers::beanstalk::protocol::parse_job_stats(a.data);
  }

 private:
  int fd_;
  std::string in_;
};

}  // namespace coyote::test
