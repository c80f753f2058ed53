#include "worker/process_spawn.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <system_error>

namespace coyote::host::worker {
namespace {

struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() = default;
  ~Pipe() { close_both(); }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  void close_both() {
    for (int& fd : fds) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
  }
  int release(int i) {
    const int fd = fds[i];
    fds[i] = -1;
    return fd;
  }
};

}  // namespace

std::string join_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

sdk::Result<SpawnedProcess> spawn_process(const std::vector<std::string>& argv,
                                          const std::vector<std::string>& env) {
  if (argv.empty()) {
    return sdk::Status::error("no worker command configured (server.command is empty)");
  }
  Pipe in;
  Pipe outp;
  Pipe err;
  // O_CLOEXEC on every end: the dup2 in the child clears it on 0/1/2 only, so no other worker
  // inherits another worker's pipe (which would hide EOF).
  if (::pipe2(in.fds, O_CLOEXEC) != 0 || ::pipe2(outp.fds, O_CLOEXEC) != 0 ||
      ::pipe2(err.fds, O_CLOEXEC) != 0) {
    return sdk::Status::error(std::string("cannot create worker pipes: ") +
                              std::system_category().message(errno));
  }

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&actions, in.fds[0], 0);
  posix_spawn_file_actions_adddup2(&actions, outp.fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fds[1], 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  // Own process group: Ctrl-C on the host's terminal must not hit the workers directly, and
  // kill(-pid) reaches any children the worker started.
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGCHLD);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  // posix_spawn takes char* const[] for argv and envp but does not modify the strings.
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto& a : argv) {
    cargv.push_back(const_cast<char*>(a.c_str()));  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  }
  cargv.push_back(nullptr);
  std::vector<char*> cenv;
  cenv.reserve(env.size() + 1);
  for (const auto& e : env) {
    cenv.push_back(const_cast<char*>(e.c_str()));  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  }
  cenv.push_back(nullptr);

  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, cargv[0], &actions, &attr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return sdk::Status::error("cannot start worker command \"" + join_command(argv) +
                              "\": " + std::system_category().message(rc) +
                              (rc == ENOENT ? " (is the program installed and on PATH?)" : ""));
  }

  ::close(in.release(0));
  ::close(outp.release(1));
  ::close(err.release(1));
  SpawnedProcess out;
  out.pid = pid;
  out.stdin_fd = in.release(1);
  out.stdout_fd = outp.release(0);
  out.stderr_fd = err.release(0);
#ifdef SYS_pidfd_open
  out.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (out.pidfd >= 0) ::fcntl(out.pidfd, F_SETFD, FD_CLOEXEC);
#else
  out.pidfd = -1;
#endif
  return out;
}

}  // namespace coyote::host::worker
