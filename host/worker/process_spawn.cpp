#include "worker/process_spawn.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
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

std::string errno_text(int err) { return std::system_category().message(err); }

/// argv[0] resolved against the host's PATH, as posix_spawnp does: the forking path must not
/// search (allocate) in the child.
std::string resolve_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe): never set by the host
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const auto colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return name;
}

/// What the child reports through the status pipe when it cannot become the worker.
struct ChildFailure {
  int step;  ///< 0 setgroups, 1 setgid, 2 setuid, 3 exec
  int err;
};

}  // namespace

sdk::Result<Credentials> resolve_credentials(const std::string& user, const std::string& group) {
  Credentials c;
  c.user = user;
  c.group = group;
  std::vector<char> buf(16384);
  if (!user.empty()) {
    struct passwd pw {};
    struct passwd* found = nullptr;
    const int rc = ::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
    if (found == nullptr) {
      return sdk::Status::error("no such user \"" + user + "\"" +
                                (rc != 0 ? " (" + errno_text(rc) + ")" : "") +
                                "; create it or name an existing one");
    }
    c.set_user = true;
    c.uid = pw.pw_uid;
    c.gid = pw.pw_gid;
    c.set_group = true;
    int count = 64;
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    if (::getgrouplist(user.c_str(), pw.pw_gid, groups.data(), &count) < 0) {
      groups.resize(static_cast<std::size_t>(count));
      (void)::getgrouplist(user.c_str(), pw.pw_gid, groups.data(), &count);
    }
    groups.resize(static_cast<std::size_t>(count));
    c.groups.assign(groups.begin(), groups.end());
  }
  if (!group.empty()) {
    struct group gr {};
    struct group* found = nullptr;
    const int rc = ::getgrnam_r(group.c_str(), &gr, buf.data(), buf.size(), &found);
    if (found == nullptr) {
      return sdk::Status::error("no such group \"" + group + "\"" +
                                (rc != 0 ? " (" + errno_text(rc) + ")" : "") +
                                "; create it or name an existing one");
    }
    c.set_group = true;
    c.gid = gr.gr_gid;
    if (!c.set_user) c.groups = {gr.gr_gid};
  }
  if (c.any() && ::geteuid() != 0) {
    const bool same =
        (!c.set_user || c.uid == ::geteuid()) && (!c.set_group || c.gid == ::getegid());
    if (!same) {
      return sdk::Status::error("the host runs as uid " + std::to_string(::geteuid()) +
                                " and cannot switch workers to another user or group: start "
                                "coyote as root, or remove the key");
    }
  }
  return c;
}

std::string join_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

namespace {

/// fork + exec for a worker that must run as another user (posix_spawn cannot set ids). The
/// child calls only async-signal-safe functions: the host has threads.
sdk::Result<pid_t> fork_as(const std::vector<char*>& cargv, const std::vector<char*>& cenv,
                           const std::string& program, const Credentials& creds, int in_fd,
                           int out_fd, int err_fd) {
  int report[2] = {-1, -1};
  if (::pipe2(report, O_CLOEXEC) != 0) {
    return sdk::Status::error("cannot create worker pipes: " + errno_text(errno));
  }
  std::vector<gid_t> groups(creds.groups.begin(), creds.groups.end());
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(report[0]);
    ::close(report[1]);
    return sdk::Status::error("cannot fork a worker: " + errno_text(err));
  }
  if (pid == 0) {
    ChildFailure failure{3, 0};
    ::setpgid(0, 0);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (const int sig : {SIGPIPE, SIGCHLD, SIGINT, SIGTERM}) ::sigaction(sig, &dfl, nullptr);
    sigset_t empty;
    sigemptyset(&empty);
    // The child has one thread: its mask is the process's (pthread_sigmask is not AS-safe).
    ::sigprocmask(SIG_SETMASK, &empty, nullptr);  // NOLINT(concurrency-mt-unsafe)
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    // Every other descriptor closes at exec (the report pipe only then, telling the host that
    // exec succeeded).
#ifdef SYS_close_range
    if (::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) != 0)
#endif
    {
      for (int fd = 3; fd < 65536; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    if (::setgroups(groups.size(), groups.data()) != 0) {
      failure = {0, errno};
    } else if (creds.set_group && ::setgid(creds.gid) != 0) {
      failure = {1, errno};
    } else if (creds.set_user && ::setuid(creds.uid) != 0) {
      failure = {2, errno};
    } else {
      ::execve(program.c_str(), cargv.data(), cenv.data());
      failure = {3, errno};
    }
    (void)!::write(report[1], &failure, sizeof failure);
    ::_exit(127);
  }
  ::close(report[1]);
  ChildFailure failure{};
  ssize_t n = 0;
  do {
    n = ::read(report[0], &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n != static_cast<ssize_t>(sizeof failure)) return pid;  // exec succeeded: EOF
  int status = 0;
  ::waitpid(pid, &status, 0);
  static constexpr const char* kSteps[] = {"set the supplementary groups", "switch to group",
                                           "switch to user", "exec"};
  std::string what = kSteps[failure.step];
  if (failure.step == 1) what += " \"" + (creds.group.empty() ? creds.user : creds.group) + "\"";
  if (failure.step == 2) what += " \"" + creds.user + "\"";
  if (failure.step == 3) {
    return sdk::Status::error("cannot exec " + program + ": " + errno_text(failure.err) +
                              (failure.err == ENOENT ? " (is the program installed and on PATH?)"
                               : failure.err == EACCES
                                   ? " (can " + creds.user + " reach, read and execute it?)"
                                   : ""));
  }
  return sdk::Status::error("cannot " + what + ": " + errno_text(failure.err));
}

}  // namespace

sdk::Result<SpawnedProcess> spawn_process(const std::vector<std::string>& argv,
                                          const std::vector<std::string>& env,
                                          const Credentials& credentials) {
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
  int rc = 0;
  if (credentials.any()) {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    auto forked = fork_as(cargv, cenv, resolve_program(argv[0]), credentials, in.fds[0],
                          outp.fds[1], err.fds[1]);
    if (!forked) {
      return sdk::Status::error(
          "cannot start worker command \"" + join_command(argv) + "\" as " +
          (credentials.set_user ? "user " + credentials.user : "group " + credentials.group) +
          ": " + forked.error());
    }
    pid = *forked;
  } else {
    rc = ::posix_spawnp(&pid, cargv[0], &actions, &attr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
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
