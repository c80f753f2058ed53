// my_awesome_driver: an in-memory FIFO queue driver, written only against the public SDK.
//
// Jobs pushed while the pipeline runs go straight into the host's queue; while paused (or before
// run) they wait here. Delayed jobs wait on a timer thread. Requeue and nack-with-requeue push a
// copy back through the same path, so delays work for retries too. Nothing survives a restart.
#include <coyote/sdk/sdk.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace my_awesome {

using namespace coyote;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kDriverName = "my_awesome_driver";

/// Shared by the driver, its jobs and its callbacks; jobs and on_room callbacks hold it weakly,
/// so they become harmless no-ops once the pipeline is gone.
class Core : public std::enable_shared_from_this<Core> {
 public:
  Core(sdk::Queue& queue, sdk::Pipeline pipeline, sdk::Logger& logger)
      : queue_(queue), pipeline_(std::move(pipeline)), logger_(logger) {}

  void push(sdk::Message message) {
    if (message.options.priority == 0) message.options.priority = pipeline_.priority();
    message.options.pipeline = pipeline_.name();
    std::unique_lock lock(mutex_);
    if (message.options.delay_seconds > 0) {
      auto due = Clock::now() + std::chrono::seconds(message.options.delay_seconds);
      // The delay has been honoured once the job leaves the timer; don't apply it again.
      message.options.delay_seconds = 0;
      delayed_.emplace(due, std::move(message));
      timer_wakeup_.notify_all();
      return;
    }
    ready_.push_back(std::move(message));
    drain(lock);
  }

  void set_running(bool running) {
    std::unique_lock lock(mutex_);
    running_ = running;
    if (running) drain(lock);
  }

  void start_timer() {
    std::lock_guard lock(mutex_);
    if (timer_.joinable()) return;
    stopping_ = false;
    timer_ = std::thread([self = shared_from_this()] { self->timer_loop(); });
  }

  void shutdown() {
    std::thread timer;
    {
      std::lock_guard lock(mutex_);
      running_ = false;
      stopping_ = true;
      ready_.clear();
      delayed_.clear();
      timer = std::move(timer_);
    }
    timer_wakeup_.notify_all();
    if (timer.joinable()) timer.join();
  }

  void finished() {
    std::lock_guard lock(mutex_);
    if (active_ > 0) --active_;
  }

  sdk::State state() {
    std::lock_guard lock(mutex_);
    sdk::State s;
    s.pipeline = pipeline_.name();
    s.driver = std::string(kDriverName);
    s.queue = pipeline_.name();
    s.active = active_;
    s.delayed = static_cast<std::int64_t>(delayed_.size());
    s.ready = running_;
    s.priority = static_cast<std::uint64_t>(pipeline_.priority());
    return s;
  }

 private:
  // Called with the lock held. Stops at the first job the queue has no room for and asks to be
  // woken when room frees up, keeping FIFO order.
  void drain(std::unique_lock<std::mutex>& lock);

  void timer_loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (delayed_.empty()) {
        timer_wakeup_.wait(lock);
        continue;
      }
      auto due = delayed_.begin()->first;
      if (Clock::now() < due) {
        timer_wakeup_.wait_until(lock, due);
        continue;
      }
      ready_.push_back(std::move(delayed_.begin()->second));
      delayed_.erase(delayed_.begin());
      drain(lock);
    }
  }

  sdk::Queue& queue_;
  const sdk::Pipeline pipeline_;
  sdk::Logger& logger_;
  std::mutex mutex_;
  std::condition_variable timer_wakeup_;
  std::deque<sdk::Message> ready_;
  std::multimap<Clock::time_point, sdk::Message> delayed_;
  std::thread timer_;
  std::int64_t active_ = 0;
  bool running_ = false;
  bool stopping_ = false;
  bool waiting_for_room_ = false;
};

class AwesomeJob final : public sdk::Job {
 public:
  AwesomeJob(sdk::Message message, std::weak_ptr<Core> core)
      : Job(std::move(message)), core_(std::move(core)) {}

  [[nodiscard]] std::string_view driver_name() const override { return kDriverName; }

  sdk::Status ack() override { return done(); }
  sdk::Status nack() override { return done(); }
  sdk::Status nack_with_options(bool requeue_it, std::chrono::seconds delay) override {
    if (!requeue_it) return done();
    return again(message_.headers, delay);
  }
  sdk::Status requeue(const sdk::Headers& headers, std::chrono::seconds delay) override {
    sdk::Headers merged = message_.headers;
    sdk::merge_headers(merged, headers);
    return again(merged, delay);
  }

 private:
  sdk::Status done() {
    if (auto core = core_.lock()) core->finished();
    return sdk::Status::ok();
  }

  // The host destroys this Job after the call, so the retry is a fresh copy.
  sdk::Status again(const sdk::Headers& headers, std::chrono::seconds delay) {
    auto core = core_.lock();
    if (!core) return sdk::Status::error("pipeline " + pipeline() + " was stopped; job dropped");
    sdk::Message copy = message_;
    copy.headers = headers;
    copy.options.delay_seconds = delay.count();
    core->finished();
    core->push(std::move(copy));
    return sdk::Status::ok();
  }

  std::weak_ptr<Core> core_;
};

void Core::drain(std::unique_lock<std::mutex>& lock) {
  while (running_ && !ready_.empty() && !waiting_for_room_) {
    std::unique_ptr<sdk::Job> job = std::make_unique<AwesomeJob>(ready_.front(), weak_from_this());
    if (!queue_.try_insert(job)) {
      waiting_for_room_ = true;
      // on_room may run the callback right away, on this thread: don't hold our lock across it.
      lock.unlock();
      queue_.on_room([weak = weak_from_this()] {
        if (auto self = weak.lock()) {
          std::unique_lock relock(self->mutex_);
          self->waiting_for_room_ = false;
          self->drain(relock);
        }
      });
      lock.lock();
      return;
    }
    ready_.pop_front();
    ++active_;
  }
  if (!ready_.empty() && running_ && logger_.enabled(sdk::LogLevel::kTrace)) {
    logger_.trace("pipeline " + pipeline_.name() + " waits for room in the queue");
  }
}

class AwesomeDriver final : public sdk::Driver {
 public:
  AwesomeDriver(sdk::Queue& queue, const sdk::Pipeline& pipeline, sdk::Logger& logger)
      : core_(std::make_shared<Core>(queue, pipeline, logger)) {
    core_->start_timer();
  }
  ~AwesomeDriver() override { core_->shutdown(); }
  AwesomeDriver(const AwesomeDriver&) = delete;
  AwesomeDriver& operator=(const AwesomeDriver&) = delete;

  // Held as soon as it is in memory, so the push completes at once. A driver that writes to a
  // broker or a disk would call `done` from its own thread once the write is confirmed.
  void push(sdk::Message message, sdk::Completion done) override {
    core_->push(std::move(message));
    done(sdk::Status::ok());
  }
  sdk::Status run() override { return resume(); }
  sdk::Status stop() override {
    core_->shutdown();
    return sdk::Status::ok();
  }
  sdk::Status pause() override {
    core_->set_running(false);
    return sdk::Status::ok();
  }
  sdk::Status resume() override {
    core_->start_timer();
    core_->set_running(true);
    return sdk::Status::ok();
  }
  sdk::State state() override { return core_->state(); }

 private:
  std::shared_ptr<Core> core_;
};

class AwesomeConstructor final : public sdk::DriverConstructor {
 public:
  AwesomeConstructor(const sdk::Config& config, sdk::Logger& logger)
      : config_(config), logger_(logger) {}

  [[nodiscard]] std::string_view name() const override { return kDriverName; }

  std::unique_ptr<sdk::Driver> from_config(std::string_view config_key, sdk::Queue& queue,
                                           const sdk::Pipeline& pipeline) override {
    // An example of validating a structured option with a located error.
    const std::string key = std::string(config_key) + ".priority";
    if (config_.integer_or(key, 10) < 0)
      throw config_.error_at(key, "priority must not be negative");
    return std::make_unique<AwesomeDriver>(queue, pipeline, logger_);
  }

  std::unique_ptr<sdk::Driver> from_pipeline(const sdk::Pipeline& pipeline,
                                             sdk::Queue& queue) override {
    return std::make_unique<AwesomeDriver>(queue, pipeline, logger_);
  }

 private:
  const sdk::Config& config_;
  sdk::Logger& logger_;
};

void register_drivers(sdk::Registrar& registrar) {
  registrar.add_driver(
      std::make_unique<AwesomeConstructor>(registrar.config(), registrar.logger()));
}

}  // namespace my_awesome

COYOTE_PLUGIN("my_awesome_plugin", my_awesome::register_drivers)
