#include "memory/pipeline_core.hpp"

#include "memory/loss_report.hpp"
#include "memory/memory_job.hpp"

#include <coyote/sdk/json_text.hpp>

#include <algorithm>
#include <utility>

namespace coyote::drivers::memory {
namespace {

// `,"pipeline":"<name>"}`: how every context of the pipeline ends (the SDK default's last key).
std::string context_tail_of(const std::string& pipeline) {
  std::string tail = R"(,"pipeline":)";
  sdk::json_text::append_string(tail, pipeline);
  tail.push_back('}');
  return tail;
}

}  // namespace

PipelineCore::PipelineCore(sdk::Queue& queue, std::string name, std::int64_t priority,
                           std::int64_t prefetch, std::size_t buffer_limit,
                           std::shared_ptr<DelayTimer> timer, sdk::Logger* log)
    : queue_(queue),
      name_(std::move(name)),
      context_tail_(context_tail_of(name_)),
      priority_(priority),
      prefetch_(prefetch),
      buffer_limit_(buffer_limit),
      timer_(std::move(timer)),
      log_(log) {}

PipelineCore::~PipelineCore() { (void)stop(); }

sdk::Status PipelineCore::push(sdk::Message message) {
  std::lock_guard lock(mutex_);
  return push_locked(message);
}

sdk::Status PipelineCore::push_batch(std::vector<sdk::Message>& messages) {
  std::lock_guard lock(mutex_);
  for (auto& message : messages) {
    if (auto status = push_locked(message); !status) return status;
  }
  return sdk::Status::ok();
}

// By reference: a batch's messages are packed where they lie, not moved (~280 bytes) first.
sdk::Status PipelineCore::push_locked(sdk::Message& message) {
  if (stopped_) return sdk::Status::error("memory pipeline " + name_ + " is stopped");
  message.options.pipeline = name_;
  if (message.options.priority == 0) message.options.priority = priority_;
  if (message.options.delay_seconds > 0) {
    const std::chrono::seconds delay{message.options.delay_seconds};
    schedule_locked(std::move(message), delay);
    return sdk::Status::ok();
  }
  if (buffer_.size() >= buffer_limit_) {
    // RoadRunner waits up to jobs.timeout here; failing at once gives the producer the same
    // answer without parking the host's loop thread.
    return sdk::Status::error("local pipeline is full, consider to increase prefetch number (" +
                              name_ + ": " + std::to_string(buffer_.size()) +
                              " jobs waiting, limit jobs.pipeline_size)");
  }
  if (buffer_.empty() && running_ && in_flight_ < prefetch_ && offer_locked(message, false)) {
    return sdk::Status::ok();
  }
  buffer_.push_back(PackedMessage::pack(std::move(message), false));
  move_locked();
  return sdk::Status::ok();
}

sdk::Status PipelineCore::run() {
  std::lock_guard lock(mutex_);
  if (stopped_) return sdk::Status::error("memory pipeline " + name_ + " is stopped");
  running_ = true;
  move_locked();
  return sdk::Status::ok();
}

sdk::Status PipelineCore::pause() {
  std::lock_guard lock(mutex_);
  if (!running_) return sdk::Status::error("no active listeners, nothing to pause");
  running_ = false;
  return sdk::Status::ok();
}

sdk::Status PipelineCore::resume() {
  std::lock_guard lock(mutex_);
  if (stopped_) return sdk::Status::error("memory pipeline " + name_ + " is stopped");
  if (running_) return sdk::Status::error("memory listener is already in the active state");
  running_ = true;
  move_locked();
  return sdk::Status::ok();
}

sdk::Status PipelineCore::stop() {
  std::lock_guard lock(mutex_);
  if (stopped_) return sdk::Status::ok();
  stopped_ = true;
  running_ = false;
  report_loss_locked();
  buffer_.clear();
  delayed_count_ -= static_cast<std::int64_t>(delayed_.size());
  delayed_.clear();
  // Wake-ups still queued in the timer find nothing to release.
  return sdk::Status::ok();
}

void PipelineCore::report_loss_locked() {
  if (buffer_.empty() && delayed_.empty()) return;
  LossReport report(name_);
  for (const auto& m : buffer_) report.add(m.id(), m.name(), "waiting");
  for (const auto& d : delayed_) report.add(d.message.id(), d.message.name(), "delayed");
  if (log_ == nullptr) return;
  std::string text = "memory pipeline " + name_ + " stopped holding " +
                     std::to_string(report.size()) + " job(s) (" + std::to_string(buffer_.size()) +
                     " waiting, " + std::to_string(delayed_.size()) +
                     " delayed): they are dropped, the memory driver keeps nothing across a stop";
  auto path = report.write();
  text += path ? "; their ids are in " + *path : "; their ids could not be saved: " + path.error();
  log_->warn(text);
}

sdk::State PipelineCore::state() {
  std::lock_guard lock(mutex_);
  sdk::State s;
  s.pipeline = name_;
  s.driver = "memory";
  s.queue = name_;
  // As RoadRunner's memory driver counts it: every job pushed and not yet settled, also those
  // still buffered here (beyond prefetch, or all of them while paused).
  s.active = in_flight_ + static_cast<std::int64_t>(buffer_.size());
  s.delayed = delayed_count_;
  s.reserved = 0;
  s.ready = running_;
  s.priority = static_cast<std::uint64_t>(priority_);
  return s;
}

void PipelineCore::uncount_locked(bool was_delayed) {
  if (in_flight_ > 0) --in_flight_;
  if (was_delayed && delayed_count_ > 0) --delayed_count_;
}

sdk::Status PipelineCore::settle(bool was_delayed) {
  std::lock_guard lock(mutex_);
  if (stopped_) {
    return sdk::Status::error("failed to acknowledge the JOB, the pipeline is probably stopped");
  }
  uncount_locked(was_delayed);
  move_locked();
  return sdk::Status::ok();
}

sdk::Status PipelineCore::reenter(sdk::Message&& message, std::chrono::seconds delay,
                                  bool was_delayed) {
  std::lock_guard lock(mutex_);
  if (stopped_) {
    return sdk::Status::error("failed to acknowledge the JOB, the pipeline is probably stopped");
  }
  uncount_locked(was_delayed);
  if (delay.count() > 0) {
    schedule_locked(std::move(message), delay);
  } else {
    // Already accepted once: a redelivery is never refused for a full buffer.
    buffer_.push_back(PackedMessage::pack(std::move(message), false));
  }
  move_locked();
  return sdk::Status::ok();
}

void PipelineCore::forget(bool was_delayed) {
  std::lock_guard lock(mutex_);
  uncount_locked(was_delayed);
  // No move here: a job is destroyed unacknowledged only when the host removed it because the
  // pipeline is stopping or being destroyed.
}

void PipelineCore::schedule_locked(sdk::Message message, std::chrono::seconds delay) {
  const auto due = Clock::now() + std::min(delay, kMaxDelay);
  delayed_.push_back(
      Delayed{due, next_delay_seq_++, PackedMessage::pack(std::move(message), true)});
  std::push_heap(delayed_.begin(), delayed_.end(), DueLater{});
  ++delayed_count_;
  if (due < next_wake_) {
    next_wake_ = due;
    timer_->wake_at(due, weak_from_this());
  }
}

void PipelineCore::release_due() {
  std::lock_guard lock(mutex_);
  if (stopped_) return;
  const auto now = Clock::now();
  while (!delayed_.empty() && delayed_.front().due <= now) {
    std::pop_heap(delayed_.begin(), delayed_.end(), DueLater{});
    buffer_.push_back(std::move(delayed_.back().message));
    delayed_.pop_back();
  }
  next_wake_ = Clock::time_point::max();
  if (!delayed_.empty()) {
    next_wake_ = delayed_.front().due;
    timer_->wake_at(next_wake_, weak_from_this());
  }
  move_locked();
}

void PipelineCore::move_locked() {
  while (running_ && !stopped_ && in_flight_ < prefetch_ && !buffer_.empty()) {
    PackedMessage& front = buffer_.front();
    const bool delayed = front.delayed();
    auto job = std::make_unique<MemoryJob>(shared_from_this(), front, name_);
    if (!offer_job_locked(job)) {
      // Keep the job at the head of the FIFO until the host queue has room.
      front = PackedMessage::pack(std::move(job->message()), delayed);
      return;
    }
    buffer_.pop_front();
  }
}

bool PipelineCore::offer_locked(sdk::Message& message, bool delayed) {
  auto job = std::make_unique<MemoryJob>(shared_from_this(), std::move(message), delayed);
  if (offer_job_locked(job)) return true;
  message = std::move(job->message());
  return false;
}

bool PipelineCore::offer_job_locked(std::unique_ptr<MemoryJob>& job) {
  job->set_counted(true);
  std::unique_ptr<sdk::Job> as_job = std::move(job);
  if (queue_.try_insert(as_job)) {
    ++in_flight_;
    return true;
  }
  // The caller made this job a MemoryJob; the queue handed it back untouched. Uncounted, its
  // destructor does not call back into the core (whose mutex is held here).
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-static-cast-downcast)
  job.reset(static_cast<MemoryJob*>(as_job.release()));
  job->set_counted(false);
  if (!waiting_for_room_) {
    waiting_for_room_ = true;
    std::weak_ptr<PipelineCore> weak = weak_from_this();
    queue_.on_room([weak] {
      if (auto core = weak.lock()) {
        std::lock_guard relock(core->mutex_);
        core->waiting_for_room_ = false;
        core->move_locked();
      }
    });
  }
  return false;
}

}  // namespace coyote::drivers::memory
