// adopt_durable_keys: after a restart, the unique keys of jobs still held in sqlite/boltdb job
// files are taken again before any push is accepted.
#pragma once

#include "jobs/unique_keys.hpp"

#include <coyote/sdk/config.hpp>

#include <spdlog/logger.h>

#include <cstddef>
#include <memory>

namespace coyote::host::schedule {

/// Reads, for every jobs.pipelines entry whose driver is sqlite or boltdb, the job file the
/// driver will open (`file`, default coyote.db / rr.db, relative to the working directory)
/// and adopts the X-Coyote-Unique-Key of each of the pipeline's rows into `keys`. The rows are
/// the truth (a job acked before the restart is gone from them), so no key can go stale.
///
/// Call before Engine::start(): the driver takes the file's exclusive lock when it opens it.
/// A file that does not exist yet has no jobs; one that cannot be read is logged and skipped
/// (the driver reports the fault when it opens it). Returns the keys adopted.
std::size_t adopt_durable_keys(const sdk::Config& config, jobs::UniqueKeys& keys,
                               const std::shared_ptr<spdlog::logger>& log);

}  // namespace coyote::host::schedule
