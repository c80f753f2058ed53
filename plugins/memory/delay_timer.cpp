#include "memory/delay_timer.hpp"

#include "memory/pipeline_core.hpp"

#include <algorithm>
#include <utility>

namespace coyote::drivers::memory {

DelayTimer::~DelayTimer() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->changed.notify_all();
  if (!thread_.joinable()) return;
  // The last pipeline may be released on the timer's own thread (it held the pipeline while
  // waking it): that thread still owns the State and leaves its loop on `stopping`.
  if (thread_.get_id() == std::this_thread::get_id()) {
    thread_.detach();
  } else {
    thread_.join();
  }
}

void DelayTimer::wake_at(Clock::time_point due, std::weak_ptr<PipelineCore> core) {
  std::lock_guard lock(state_->mutex);
  auto& wakes = state_->wakes;
  const bool earliest = wakes.empty() || due < wakes.front().due;
  wakes.push_back(Wake{due, state_->next_seq++, std::move(core)});
  std::push_heap(wakes.begin(), wakes.end(), Later{});
  if (!state_->started) {
    state_->started = true;
    thread_ = std::thread([state = state_] { run(state); });
  } else if (earliest) {
    state_->changed.notify_one();
  }
}

bool DelayTimer::started() const {
  std::lock_guard lock(state_->mutex);
  return state_->started;
}

void DelayTimer::run(const std::shared_ptr<State>& state) {
  std::vector<std::weak_ptr<PipelineCore>> due_now;
  std::unique_lock lock(state->mutex);
  auto& wakes = state->wakes;
  while (!state->stopping) {
    if (wakes.empty()) {
      state->changed.wait(lock);
      continue;
    }
    // A copy: wait_until keeps reading its deadline while the lock is released, and a wake_at
    // from another thread may reallocate `wakes` meanwhile.
    if (const Clock::time_point due = wakes.front().due; Clock::now() < due) {
      state->changed.wait_until(lock, due);
      continue;
    }
    const auto now = Clock::now();
    while (!wakes.empty() && wakes.front().due <= now) {
      std::pop_heap(wakes.begin(), wakes.end(), Later{});
      due_now.push_back(std::move(wakes.back().core));
      wakes.pop_back();
    }
    // Pipelines are woken without the timer's lock: a pipeline asks for its next wake-up from
    // inside release_due() (pipeline lock, then timer lock, the one order both sides use).
    lock.unlock();
    for (auto& weak : due_now) {
      if (auto core = weak.lock()) core->release_due();
    }
    due_now.clear();
    lock.lock();
  }
}

}  // namespace coyote::drivers::memory
