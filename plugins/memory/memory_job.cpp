#include "memory/memory_job.hpp"

#include <coyote/sdk/json_text.hpp>

#include <utility>

namespace coyote::drivers::memory {

MemoryJob::MemoryJob(std::shared_ptr<PipelineCore> core, sdk::Message&& message, bool delayed)
    : sdk::Job(std::move(message)), core_(std::move(core)), delayed_(delayed) {}

MemoryJob::MemoryJob(std::shared_ptr<PipelineCore> core, PackedMessage& packed,
                     const std::string& pipeline)
    : core_(std::move(core)), delayed_(packed.delayed()) {
  packed.unpack_into(message_, pipeline);
}

void MemoryJob::write_context(std::string& out) const {
  // A job of this core always carries its name; anything else gets the SDK's own rendering.
  if (message_.options.pipeline != core_->name()) {
    sdk::Job::write_context(out);
    return;
  }
  // Byte for byte the SDK default, without escaping "memory" and the pipeline name per job.
  namespace json = sdk::json_text;
  using namespace std::string_view_literals;
  json::append(out, R"({"id":)"sv, json::quoted(message_.id), R"(,"job":)"sv,
               json::quoted(message_.name), R"(,"driver":"memory","headers":)"sv,
               json::headers_object(message_.headers), core_->context_tail());
}

MemoryJob::~MemoryJob() {
  if (counted_ && !settled_) core_->forget(delayed_);
}

sdk::Status MemoryJob::ack() {
  settled_ = true;
  return core_->settle(delayed_);
}

sdk::Status MemoryJob::nack() {
  settled_ = true;
  return core_->settle(delayed_);
}

sdk::Status MemoryJob::nack_with_options(bool requeue, std::chrono::seconds delay) {
  settled_ = true;
  if (!requeue) return core_->settle(delayed_);
  return core_->reenter(std::move(message_), delay, delayed_);
}

sdk::Status MemoryJob::requeue(const sdk::Headers& headers, std::chrono::seconds delay) {
  settled_ = true;
  sdk::merge_headers(message_.headers, headers);
  return core_->reenter(std::move(message_), delay, delayed_);
}

}  // namespace coyote::drivers::memory
