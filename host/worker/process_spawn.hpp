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

/// argv joined by single spaces, for logs and error messages (no shell quoting, as RoadRunner).
[[nodiscard]] std::string join_command(const std::vector<std::string>& argv);

/// Spawns `argv` (PATH lookup for argv[0]) with exactly `env`; the error names the command and
/// the errno text when the process could not be started. Every host descriptor other than the
/// three pipes is closed in the child.
[[nodiscard]] sdk::Result<SpawnedProcess> spawn_process(const std::vector<std::string>& argv,
                                                        const std::vector<std::string>& env);

}  // namespace coyote::host::worker
