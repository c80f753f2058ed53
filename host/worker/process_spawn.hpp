// spawn_process: starts a worker in its own process group with stdin/stdout/stderr pipes.
#pragma once

#include <coyote/sdk/result.hpp>

#include <string>
#include <vector>

namespace coyote::host::worker {

struct SpawnedProcess {
  int pid = -1;
  int stdin_fd = -1;   ///< host writes frames here (O_CLOEXEC)
  int stdout_fd = -1;  ///< host reads frames here (O_CLOEXEC)
  int stderr_fd = -1;  ///< host reads log lines here (O_CLOEXEC)
  int pidfd = -1;      ///< readable when the process exits; -1 when the kernel lacks pidfd_open
};

/// Who a worker runs as (server.user / server.group), resolved once from the names.
struct Credentials {
  bool set_user = false;
  bool set_group = false;
  unsigned uid = 0;
  unsigned gid = 0;
  std::vector<unsigned> groups;  ///< supplementary groups: the user's own (none with group only)
  std::string user;              ///< the names, for messages
  std::string group;
  [[nodiscard]] bool any() const noexcept { return set_user || set_group; }
};

/// Looks `user` and `group` up (either may be empty). With a user and no group the user's primary
/// group applies, and its supplementary groups replace the host's. The error says what to fix: no
/// such user or group, or a host without the privilege to switch (not root).
[[nodiscard]] sdk::Result<Credentials> resolve_credentials(const std::string& user,
                                                           const std::string& group);

/// argv joined by single spaces, for logs and error messages (no shell quoting, as RoadRunner).
[[nodiscard]] std::string join_command(const std::vector<std::string>& argv);

/// Spawns `argv` (PATH lookup for argv[0]) with exactly `env`; the error names the command and
/// the errno text when the process could not be started. Every host descriptor other than the
/// three pipes is closed in the child.
/// With `credentials` (any()), the child drops to them (supplementary groups, group, user, in
/// that order) before exec; a failure to do so is the spawn's error, and no worker runs as root
/// by accident.
[[nodiscard]] sdk::Result<SpawnedProcess> spawn_process(const std::vector<std::string>& argv,
                                                        const std::vector<std::string>& env,
                                                        const Credentials& credentials = {});

}  // namespace coyote::host::worker
