#include "worker/init_command.hpp"

#include "log/log.hpp"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>

namespace coyote::host::worker {
namespace {

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "ended with status " + std::to_string(status);
}

}  // namespace

std::optional<InitCommand> init_command_from(const sdk::Config& config,
                                             const ServerConfig& server) {
  if (!config.has("server.on_init")) return std::nullopt;
  InitCommand init;
  if (auto text = config.text("server.on_init.command")) {
    init.command = split_command(*text);
  } else if (auto list = config.strings("server.on_init.command")) {
    init.command = *list;
  }
  if (init.command.empty()) {
    throw config.error_at("server.on_init.command",
                          "server.on_init needs a command (a string or a list)");
  }
  init.exec_timeout = config.duration_or("server.on_init.exec_timeout", init.exec_timeout);
  if (init.exec_timeout.count() <= 0) init.exec_timeout = std::chrono::milliseconds{60000};
  for (const auto& key : config.keys("server.on_init.env")) {
    init.env.emplace_back(key, config.string_or("server.on_init.env." + key, ""));
  }
  init.exit_on_error = config.boolean_or("server.on_init.exit_on_error", false);
  init.credentials = server.credentials;
  if (const auto user = config.string_or("server.on_init.user", ""); !user.empty()) {
    auto credentials = resolve_credentials(user, "");
    if (!credentials) throw config.error_at("server.on_init.user", credentials.error());
    init.credentials = std::move(*credentials);
  }
  return init;
}

sdk::Status run_init_command(const InitCommand& init, const ServerConfig& server,
                             const std::vector<std::string>& host_env) {
  auto log = log::get("server");
  ServerConfig with_env = server;
  with_env.env.insert(with_env.env.end(), init.env.begin(), init.env.end());
  const std::string what = "server.on_init command \"" + join_command(init.command) + "\"";
  auto spawned =
      spawn_process(init.command, build_environment(with_env, host_env), init.credentials);
  if (!spawned) return sdk::Status::error(what + ": " + spawned.error());
  const SpawnedProcess p = *spawned;
  ::close(p.stdin_fd);
  if (p.pidfd >= 0) ::close(p.pidfd);
  log->info("running {} (exec_timeout {} ms)", what, init.exec_timeout.count());

  std::array<std::string, 2> partial;
  std::vector<std::string> tail;
  auto emit = [&](std::string line, bool is_stderr) {
    log->info("[on_init {}] {}", p.pid, line);
    if (is_stderr) {
      tail.push_back(line.substr(0, 512));
      if (tail.size() > 5) tail.erase(tail.begin());
    }
  };
  std::array<pollfd, 2> fds{{{p.stdout_fd, POLLIN, 0}, {p.stderr_fd, POLLIN, 0}}};
  const auto deadline = std::chrono::steady_clock::now() + init.exec_timeout;
  bool timed_out = false;
  std::array<char, 4096> buf{};
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf.data(), buf.size());
      if (n > 0) {
        partial[i].append(buf.data(), static_cast<std::size_t>(n));
        for (auto nl = partial[i].find('\n'); nl != std::string::npos; nl = partial[i].find('\n')) {
          emit(partial[i].substr(0, nl), i == 1);
          partial[i].erase(0, nl + 1);
        }
      } else if (n == 0 || errno != EINTR) {
        if (!partial[i].empty()) emit(std::exchange(partial[i], {}), i == 1);
        ::close(fds[i].fd);
        fds[i].fd = -1;
      }
    }
  }
  for (auto& fd : fds) {
    if (fd.fd >= 0) ::close(fd.fd);
  }
  int status = 0;
  // Both pipes closed: the command is gone or about to be (one that closed them and lives on
  // still gets only the rest of exec_timeout).
  while (!timed_out) {
    const pid_t r = ::waitpid(p.pid, &status, WNOHANG);
    if (r == p.pid || (r < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      timed_out = true;
      break;
    }
    ::usleep(5000);
  }
  if (timed_out) {
    ::kill(-p.pid, SIGKILL);
    ::waitpid(p.pid, &status, 0);
    return sdk::Status::error(what + " did not finish within exec_timeout (" +
                              std::to_string(init.exec_timeout.count()) + " ms) and was killed");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    log->info("{} finished", what);
    return sdk::Status::ok();
  }
  std::string error = what + " " + describe_exit(status);
  if (!tail.empty()) {
    error += "; stderr:";
    for (const auto& l : tail) error += " " + l;
  }
  return sdk::Status::error(error);
}

}  // namespace coyote::host::worker
