#include "memory/memory_driver.hpp"

#include <stdexcept>
#include <string>

namespace coyote::drivers::memory {

std::unique_ptr<sdk::Driver> MemoryConstructor::from_config(std::string_view config_key,
                                                            sdk::Queue& queue,
                                                            const sdk::Pipeline& pipeline) {
  // RoadRunner fails when `config:` is missing; defaults are friendlier and lose nothing.
  std::int64_t prefetch = kDefaultPrefetch;
  const std::string key = std::string(config_key) + ".prefetch";
  if (auto configured = config_.integer(key)) {
    prefetch = *configured;
  } else {
    prefetch = pipeline.integer("prefetch", kDefaultPrefetch);
  }
  if (prefetch <= 0) {
    throw config_.error_at(key,
                           "prefetch must be a positive number of jobs (default 100000), got " +
                               std::to_string(prefetch));
  }
  return make(pipeline, queue, prefetch);
}

std::unique_ptr<sdk::Driver> MemoryConstructor::from_pipeline(const sdk::Pipeline& pipeline,
                                                              sdk::Queue& queue) {
  const std::int64_t prefetch = pipeline.integer("prefetch", kDefaultPrefetch);
  if (prefetch <= 0) {
    throw std::invalid_argument("memory pipeline " + pipeline.name() +
                                ": prefetch must be a positive number of jobs, got \"" +
                                pipeline.string("prefetch") + "\"");
  }
  return make(pipeline, queue, prefetch);
}

std::unique_ptr<sdk::Driver> MemoryConstructor::make(const sdk::Pipeline& pipeline,
                                                     sdk::Queue& queue, std::int64_t prefetch) {
  std::int64_t buffer_limit = config_.integer_or("jobs.pipeline_size", kDefaultBufferLimit);
  if (buffer_limit <= 0) buffer_limit = kDefaultBufferLimit;
  auto core = std::make_shared<PipelineCore>(queue, pipeline.name(), pipeline.priority(), prefetch,
                                             static_cast<std::size_t>(buffer_limit), timer_, &log_);
  if (log_.enabled(sdk::LogLevel::kDebug)) {
    log_.debug("memory pipeline " + pipeline.name() + ": priority " +
               std::to_string(pipeline.priority()) + ", prefetch " + std::to_string(prefetch));
  }
  return std::make_unique<MemoryDriver>(std::move(core));
}

}  // namespace coyote::drivers::memory
