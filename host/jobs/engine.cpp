#include "jobs/engine.hpp"

#include "config/suggest.hpp"

#include "log/log.hpp"

#include <fmt/format.h>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <charconv>
#include <exception>
#include <stdexcept>
#include <thread>
#include <utility>

namespace coyote::host::jobs {
namespace {

constexpr std::int64_t kDefaultPriority = 10;
constexpr std::int64_t kDefaultPipelineSize = 1'000'000;
constexpr std::chrono::seconds kDefaultTimeout{60};
constexpr std::chrono::seconds kDefaultDrainTimeout{30};
constexpr std::chrono::milliseconds kDrainPoll{10};

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n.empty() ? std::string("\"\"") : n;
  }
  return out;
}

std::string no_such_pipeline(std::string_view name) {
  return "no such pipeline, requested: " + std::string(name);
}

}  // namespace

Engine::Engine(boost::asio::io_context& io, const sdk::Config& config,
               plugin::DriverCatalog& drivers, Pools pools)
    : io_(io),
      config_(config),
      drivers_(drivers),
      pools_(std::move(pools)),
      log_(log::get("jobs")),
      responses_(counters_, log_, this),
      pipeline_size_(0),
      push_timeout_(config.duration_or("jobs.timeout", kDefaultTimeout)),
      drain_timeout_(config.duration_or("jobs.drain_timeout", kDefaultDrainTimeout)) {
  const std::int64_t size = config.integer_or("jobs.pipeline_size", kDefaultPipelineSize);
  if (size <= 0) {
    throw config.error_at("jobs.pipeline_size",
                          "must be a positive number of jobs (default 1000000)");
  }
  pipeline_size_ = static_cast<std::size_t>(size);
  if (auto names = config.strings("jobs.consume")) consume_ = std::move(*names);
  if (pools_.empty()) throw std::invalid_argument("jobs engine: no worker pool was given");
  for (auto& [pool_name, executor] : pools_) {
    if (executor == nullptr) {
      throw std::invalid_argument("jobs engine: worker pool \"" + pool_name + "\" is null");
    }
    Lane lane;
    lane.queue = std::make_unique<PriorityQueue>(io_, pipeline_size_);
    lane.dispatcher = std::make_unique<Dispatcher>(*lane.queue, *executor, responses_);
    lanes_.emplace(pool_name, std::move(lane));
  }
}

Engine::~Engine() {
  stop();
  // Queued jobs reference their drivers: drop them while every driver is still alive.
  for (auto& [name, entry] : pipelines_) {
    for (auto& [pool, lane] : lanes_) (void)lane.queue->remove(name);
  }
  pipelines_.clear();
  retired_.clear();
}

std::string Engine::unknown_driver_text(std::string_view driver, std::string_view pipeline) const {
  std::string text =
      fmt::format("unknown driver \"{}\" for pipeline \"{}\"; available: ", driver, pipeline);
  const std::vector<std::string> available = drivers_.names();
  if (available.empty()) {
    return text +
           "none (no driver plugin was loaded: check the plugin directory, COYOTE_PLUGIN_PATH "
           "and coyote.plugins)";
  }
  text += join(available);
  const std::vector<std::string_view> names(available.begin(), available.end());
  if (auto near = config::closest_match(driver, names)) {
    text += fmt::format(" (did you mean \"{}\"?)", *near);
  }
  return text;
}

std::string Engine::unknown_pool_text(std::string_view pool, std::string_view pipeline) const {
  std::vector<std::string> names;
  for (const auto& [name, executor] : pools_) names.push_back(name);
  return fmt::format("pipeline \"{}\" uses pool \"{}\", which is not configured; pools: {}",
                     pipeline, pool, join(names));
}

bool Engine::consumes(std::string_view pipeline) const {
  return std::find(consume_.begin(), consume_.end(), pipeline) != consume_.end();
}

void Engine::start() {
  if (started_) return;
  started_ = true;
  for (auto& [pool, lane] : lanes_) lane.dispatcher->start();
  for (const auto& name : config_.keys("jobs.pipelines")) build_from_config(name);
  for (const auto& name : consume_) {
    auto it = pipelines_.find(name);
    if (it == pipelines_.end()) {
      // May name a pipeline that will be declared at runtime; it starts then.
      log_->debug("jobs.consume names \"{}\", not defined in jobs.pipelines (yet)", name);
      continue;
    }
    auto status = it->second.driver->run();
    if (!status) {
      throw std::runtime_error(fmt::format("pipeline \"{}\" (driver {}) failed to start: {}", name,
                                           it->second.pipeline.driver(), status.message()));
    }
    log_->debug("pipeline {} is consuming", name);
  }
}

void Engine::build_from_config(const std::string& name) {
  const std::string base = "jobs.pipelines." + name;
  const std::string config_key = base + ".config";
  const auto driver_name = config_.string(base + ".driver");
  if (!driver_name || driver_name->empty()) {
    throw config_.error_at(base, fmt::format("pipeline \"{}\" has no driver; set driver: to one "
                                             "of: {}",
                                             name, join(drivers_.names())));
  }
  if (!drivers_.has(*driver_name)) {
    throw config_.error_at(base + ".driver", unknown_driver_text(*driver_name, name));
  }
  std::int64_t priority = kDefaultPriority;
  if (auto p = config_.integer(base + ".priority")) {
    priority = *p;
  } else if (auto cp = config_.integer(config_key + ".priority")) {
    priority = *cp;
  }
  std::string pool = config_.string(base + ".pool")
                         .value_or(config_.string(config_key + ".pool").value_or(std::string()));
  auto lane = lanes_.find(pool);
  if (lane == lanes_.end()) {
    throw config_.error_at(base + ".pool", unknown_pool_text(pool, name));
  }
  // The flat option map declared pipelines get, built from the scalar keys: top level wins.
  sdk::Pipeline::Options options;
  for (const auto& key : config_.keys(base)) {
    if (auto v = config_.text(base + "." + key)) options.emplace(key, std::move(*v));
  }
  for (const auto& key : config_.keys(config_key)) {
    if (auto v = config_.text(config_key + "." + key)) options.emplace(key, std::move(*v));
  }
  std::string dead_letter = config_.string(base + ".dead_letter").value_or(std::string());
  if (dead_letter == name) {
    throw config_.error_at(base + ".dead_letter",
                           "a pipeline cannot be its own dead_letter (its dead jobs would loop); "
                           "name another pipeline or a dead-letter store");
  }
  set_rules(name, RetryPolicy::from_config(config_, base), std::move(dead_letter));
  sdk::Pipeline pipeline(name, *driver_name, priority, std::move(options));
  std::unique_ptr<sdk::Driver> driver =
      drivers_.from_config(config_key, *lane->second.queue, pipeline);
  if (!driver) {
    throw std::runtime_error(fmt::format(
        "driver \"{}\" could not build pipeline \"{}\" (see the log above)", *driver_name, name));
  }
  pipelines_.insert_or_assign(name, Entry{std::move(pipeline), std::move(pool), std::move(driver)});
}

void Engine::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& [pool, lane] : lanes_) lane.dispatcher->halt();
  for (auto& [name, entry] : pipelines_) {
    // The SDK contract: the host takes the queued jobs out before Driver::stop.
    auto lane = lanes_.find(entry.pool);
    if (lane != lanes_.end()) (void)lane->second.queue->remove(name);
    auto status = entry.driver->stop();
    if (!status) log_->error("pipeline {}: driver stop failed: {}", name, status.message());
  }
}

std::string Engine::admit(sdk::Message& message, Entry*& entry) {
  if (stopped_) return "the jobs plugin is stopping, push refused";
  auto it = pipelines_.find(message.options.pipeline);
  if (it == pipelines_.end()) return no_such_pipeline(message.options.pipeline);
  entry = &it->second;
  if (message.options.priority == 0) message.options.priority = entry->pipeline.priority();
  if (!entry->pool.empty()) {
    message.headers.insert_or_assign("pool", std::vector<std::string>{entry->pool});
  }
  return {};
}

sdk::Completion Engine::on_loop(Done done) {
  // Drivers may complete on their own threads; everything behind `done` is loop-confined.
  // The engine lives on the thread that built it (the loop's, before and while it runs).
  return [&io = io_, owner = owner_, done = std::move(done)](sdk::Status status) mutable {
    if (std::this_thread::get_id() == owner) {
      done(std::move(status));
      return;
    }
    boost::asio::post(io, [done = std::move(done), status = std::move(status)]() mutable {
      done(std::move(status));
    });
  };
}

void Engine::push_one(sdk::Message message, Done done) {
  Entry* entry = nullptr;
  if (auto refused = admit(message, entry); !refused.empty()) {
    ++counters_.push_err;
    done(sdk::Status::error(std::move(refused)));
    return;
  }
  auto counted = [this, done = std::move(done)](sdk::Status status) {
    ++(status ? counters_.push_ok : counters_.push_err);
    done(std::move(status));
  };
  entry->driver->push(std::move(message), on_loop(std::move(counted)));
}

void Engine::push(sdk::Message message, Done done) {
  if (message.id.empty()) {
    ++counters_.push_err;
    done(sdk::Status::error("empty ID field not allowed"));
    return;
  }
  push_one(std::move(message), std::move(done));
}

/// One PushBatch in progress: runs of consecutive jobs for the same pipeline go to that
/// pipeline's driver as one push_batch (a durable driver commits each run in one transaction),
/// runs one after another so the first failure ends the batch as RoadRunner's does.
struct Engine::BatchPush {
  std::vector<sdk::Message> messages;
  std::size_t next = 0;
  Done done;
};

void Engine::push_batch(std::vector<sdk::Message> messages, Done done) {
  // Like RoadRunner: no empty-id check here, and the first failure ends the batch.
  auto batch = std::make_shared<BatchPush>();
  batch->messages = std::move(messages);
  batch->done = std::move(done);
  continue_batch(std::move(batch));
}

void Engine::continue_batch(std::shared_ptr<BatchPush> batch) {
  // Iterative while drivers complete synchronously (the memory driver), so a batch alternating
  // between pipelines never nests one call per run.
  while (true) {
    auto& messages = batch->messages;
    if (batch->next >= messages.size()) {
      batch->done(sdk::Status::ok());
      return;
    }
    const std::size_t begin = batch->next;
    std::size_t end = begin + 1;
    while (end < messages.size() &&
           messages[end].options.pipeline == messages[begin].options.pipeline) {
      ++end;
    }
    batch->next = end;
    Entry* entry = nullptr;
    std::vector<sdk::Message> run;
    run.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i) {
      if (auto refused = admit(messages[i], entry); !refused.empty()) {
        ++counters_.push_err;
        batch->done(sdk::Status::error(std::move(refused)));
        return;
      }
      run.push_back(std::move(messages[i]));
    }
    const std::size_t count = run.size();
    // 0: still inside push_batch; 1: completed inside it; 2: will complete later.
    auto state = std::make_shared<int>(0);
    auto failed = std::make_shared<sdk::Status>();
    entry->driver->push_batch(std::move(run),
                              on_loop([this, batch, count, state, failed](sdk::Status status) {
                                (status ? counters_.push_ok : counters_.push_err) += count;
                                if (*state == 0) {
                                  *state = 1;
                                  *failed = std::move(status);
                                  return;
                                }
                                if (!status) {
                                  batch->done(std::move(status));
                                  return;
                                }
                                continue_batch(batch);
                              }));
    if (*state == 0) {
      *state = 2;
      return;
    }
    if (!failed->is_ok()) {
      batch->done(std::move(*failed));
      return;
    }
  }
}

sdk::Status Engine::pause(const std::vector<std::string>& names) {
  for (const auto& name : names) {
    auto it = pipelines_.find(name);
    if (it == pipelines_.end()) return sdk::Status::error(no_such_pipeline(name));
    auto status = it->second.driver->pause();
    if (!status) return status;
  }
  return sdk::Status::ok();
}

sdk::Status Engine::resume(const std::vector<std::string>& names) {
  for (const auto& name : names) {
    auto it = pipelines_.find(name);
    if (it == pipelines_.end()) return sdk::Status::error(no_such_pipeline(name));
    auto status = it->second.driver->resume();
    if (!status) return status;
  }
  return sdk::Status::ok();
}

std::vector<std::string> Engine::list() const {
  std::vector<std::string> names;
  names.reserve(pipelines_.size());
  for (const auto& [name, entry] : pipelines_) names.push_back(name);
  return names;
}

sdk::Status Engine::declare(const std::map<std::string, std::string>& options) {
  auto get = [&](const char* key) {
    auto it = options.find(key);
    return it == options.end() ? std::string() : it->second;
  };
  std::string name = get("name");
  if (name.empty()) name = get("queue");  // RoadRunner's fallback for an old PHP client bug
  const std::string driver_name = get("driver");
  if (driver_name.empty()) {
    return sdk::Status::error("no associated driver with the pipeline, pipeline name: " + name +
                              " (set \"driver\"; available: " + join(drivers_.names()) + ")");
  }
  if (name.empty()) {
    return sdk::Status::error("declare: the pipeline has no name (set \"name\")");
  }
  if (auto it = pipelines_.find(name); it != pipelines_.end()) {
    return sdk::Status::error("pipeline already exists, name: " + name +
                              ", driver: " + it->second.pipeline.driver());
  }
  if (!drivers_.has(driver_name)) {
    return sdk::Status::error(unknown_driver_text(driver_name, name));
  }

  std::int64_t priority = kDefaultPriority;
  const std::string text = get("priority");
  std::int64_t parsed = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (!text.empty() && ec == std::errc{} && end == text.data() + text.size()) priority = parsed;

  std::string pool = get("pool");
  auto lane = lanes_.find(pool);
  if (lane == lanes_.end()) return sdk::Status::error(unknown_pool_text(pool, name));

  sdk::Pipeline pipeline(name, driver_name, priority,
                         sdk::Pipeline::Options(options.begin(), options.end()));
  if (pipeline.string("dead_letter") == name) {
    return sdk::Status::error("declare: pipeline " + name + " cannot be its own dead_letter");
  }
  set_rules(name, RetryPolicy::from_options(pipeline), pipeline.string("dead_letter"));
  auto built = drivers_.from_pipeline(pipeline, *lane->second.queue);
  if (!built) return built.status();
  auto& entry = pipelines_
                    .insert_or_assign(
                        name, Entry{std::move(pipeline), std::move(pool), std::move(built).value()})
                    .first->second;
  if (consumes(name) && started_ && !stopped_) {
    auto status = entry.driver->run();
    if (!status) return status;
  }
  return sdk::Status::ok();
}

sdk::Status Engine::destroy(const std::vector<std::string>& names,
                            std::vector<std::string>& destroyed) {
  sdk::Status first_error;
  for (const auto& name : names) {
    auto it = pipelines_.find(name);
    if (it == pipelines_.end()) {
      if (first_error.is_ok()) first_error = sdk::Status::error(no_such_pipeline(name));
      continue;
    }
    Entry& entry = it->second;
    if (auto lane = lanes_.find(entry.pool); lane != lanes_.end()) {
      (void)lane->second.queue->remove(name);
    }
    auto status = entry.driver->stop();
    if (!status) {
      if (first_error.is_ok()) first_error = status;
      continue;
    }
    retired_.push_back(std::move(entry.driver));
    pipelines_.erase(it);
    destroyed.push_back(name);
  }
  return first_error;
}

sdk::Status Engine::stat(std::vector<sdk::State>& states) {
  for (auto& [name, entry] : pipelines_) {
    // A driver that fails to report puts the reason in the State's error (GuardedDriver).
    sdk::State state = entry.driver->state();
    if (state.pipeline.empty()) state.pipeline = name;
    if (state.driver.empty()) state.driver = entry.pipeline.driver();
    states.push_back(std::move(state));
  }
  // Dead-letter stores are reported like pipelines of driver "dead_letter", never consuming;
  // `active` is the number of dead jobs held.
  for (const auto& store : dead_.stores()) {
    sdk::State state;
    state.pipeline = store;
    state.driver = "dead_letter";
    state.queue = store;
    state.active = static_cast<std::int64_t>(dead_.size(store));
    state.ready = false;
    states.push_back(std::move(state));
  }
  return sdk::Status::ok();
}

std::size_t Engine::queued() const {
  std::size_t n = 0;
  for (const auto& [pool, lane] : lanes_) n += lane.queue->size();
  return n;
}

std::size_t Engine::in_flight() const {
  std::size_t n = 0;
  for (const auto& [pool, lane] : lanes_) n += lane.dispatcher->in_flight();
  return n;
}

PriorityQueue* Engine::queue(std::string_view pool) {
  auto it = lanes_.find(pool);
  return it == lanes_.end() ? nullptr : it->second.queue.get();
}

void Engine::set_rules(const std::string& pipeline, RetryPolicy policy, std::string dead_letter) {
  // A name that is not a pipeline is a host-side store: make it visible in stat at once.
  if (!dead_letter.empty() && !config_.has("jobs.pipelines." + dead_letter) &&
      pipelines_.find(dead_letter) == pipelines_.end()) {
    dead_.declare(dead_letter);
  }
  rules_.insert_or_assign(pipeline, Rules{policy, std::move(dead_letter)});
}

const RetryPolicy& Engine::retry_policy(std::string_view pipeline) const {
  auto it = rules_.find(pipeline);
  return it == rules_.end() ? default_policy_ : it->second.policy;
}

bool Engine::bury(const sdk::Job& job, std::string_view reason, std::int64_t attempts) {
  auto it = rules_.find(job.pipeline());
  if (it == rules_.end() || it->second.dead_letter.empty()) return false;
  DeadJob dead;
  dead.message = job.message();
  dead.origin = job.pipeline();
  dead.attempts = attempts;
  dead.last_error = std::string(reason);
  dead.dead_at = std::chrono::system_clock::now();
  auto& h = dead.message.headers;
  h.insert_or_assign(std::string(kDeadReasonHeader), std::vector<std::string>{dead.last_error});
  h.insert_or_assign(std::string(kOriginHeader), std::vector<std::string>{dead.origin});
  h.insert_or_assign(std::string(kAttemptsHeader),
                     std::vector<std::string>{std::to_string(attempts)});
  h.insert_or_assign(
      std::string(kDeadAtHeader),
      std::vector<std::string>{fmt::format(
          "{}", std::chrono::duration_cast<std::chrono::seconds>(dead.dead_at.time_since_epoch())
                    .count())});
  const std::string& target = it->second.dead_letter;
  if (pipelines_.find(target) != pipelines_.end() && target != job.pipeline()) {
    // An ordinary pipeline as dead letter: its driver keeps the job and its workers may consume
    // it, with fresh attempts there. If it refuses, the host store of that name keeps it.
    sdk::Message copy = dead.message;
    if (auto a = copy.headers.find(kAttemptHeader); a != copy.headers.end()) copy.headers.erase(a);
    copy.options.pipeline = target;
    copy.options.delay_seconds = 0;
    copy.options.priority = 0;
    // The dead job is held by this host until the pipeline's driver confirms it; if that
    // driver refuses, the host store of that name keeps it.
    auto keep = std::make_shared<DeadJob>(dead);
    push_one(std::move(copy), [this, keep, target](sdk::Status status) {
      if (status) return;
      log_->error(
          "job {}: dead-letter pipeline {} refused it ({}); keeping it in the dead-letter "
          "store {}",
          keep->message.id, target, status.message(), target);
      keep_dead(target, std::move(*keep));
    });
    return true;
  }
  keep_dead(target, std::move(dead));
  return true;
}

void Engine::keep_dead(const std::string& target, DeadJob dead) {
  auto evicted = dead_.add(target, std::move(dead));
  if (evicted) {
    log_->error(
        "dead-letter store {} is full: evicted the oldest dead job {} (origin {}, last "
        "error: {})",
        target, evicted->message.id, evicted->origin, evicted->last_error);
  }
}

void Engine::dead_replay(std::string_view store, std::string_view id, Done done) {
  auto dead = dead_.take(store, id);
  if (!dead) {
    done(sdk::Status::error(
        fmt::format("no dead job \"{}\" in dead-letter store \"{}\"", id, store)));
    return;
  }
  sdk::Message message = dead->message;
  clear_delivery_headers(message);
  message.options.pipeline = dead->origin;
  message.options.delay_seconds = 0;
  auto held = std::make_shared<DeadJob>(std::move(*dead));
  push_one(std::move(message), [this, held, store = std::string(store), id = std::string(id),
                                done = std::move(done)](sdk::Status status) {
    if (!status) {
      auto error = sdk::Status::error(fmt::format("replay of {} into pipeline {} failed: {}", id,
                                                  held->origin, status.message()));
      (void)dead_.add(store, std::move(*held));
      done(std::move(error));
      return;
    }
    log_->info("dead job {} replayed into pipeline {}", id, held->origin);
    done(std::move(status));
  });
}

void Engine::dead_delete(std::string_view store, std::string_view id, Done done) {
  auto dead = dead_.take(store, id);
  if (!dead) {
    done(sdk::Status::error(
        fmt::format("no dead job \"{}\" in dead-letter store \"{}\"", id, store)));
    return;
  }
  log_->info("dead job {} (origin {}) deleted from {}", id, dead->origin, store);
  done(sdk::Status::ok());
}

void Engine::drain(std::chrono::milliseconds grace, std::function<void(const DrainReport&)> done) {
  if (draining_ || stopped_) {
    done(DrainReport{});
    return;
  }
  draining_ = true;
  for (auto& [pool, lane] : lanes_) lane.dispatcher->halt();
  std::size_t returned = 0;
  for (auto& [name, entry] : pipelines_) {
    // A paused pipeline answers pause() with an error; either way it moves no more jobs.
    (void)entry.driver->pause();
    auto lane = lanes_.find(entry.pool);
    if (lane == lanes_.end()) continue;
    for (auto& job : lane->second.queue->remove(name)) {
      auto status = responses_.hand_back(*job);
      if (status) {
        ++returned;
      } else {
        log_->error("drain: job {} (pipeline {}) could not be returned to its driver: {}",
                    job->id(), name, status.message());
      }
    }
  }
  const std::size_t at_start = in_flight();
  log_->info(
      "draining: {} job(s) in flight, {} queued job(s) returned to their drivers; grace {}ms",
      at_start, returned, grace.count());
  drain_timer_ = std::make_unique<boost::asio::steady_timer>(io_);
  drain_tick(std::chrono::steady_clock::now() + grace, at_start, returned, std::move(done));
}

void Engine::drain_tick(std::chrono::steady_clock::time_point deadline, std::size_t at_start,
                        std::size_t returned, std::function<void(const DrainReport&)> done) {
  const std::size_t running = in_flight();
  if (running == 0 || std::chrono::steady_clock::now() >= deadline) {
    DrainReport report;
    report.abandoned = running;
    report.finished = at_start > running ? at_start - running : 0;
    report.returned = returned;
    log_->info("drain complete: {} finished, {} returned, {} abandoned", report.finished,
               report.returned, report.abandoned);
    done(report);
    return;
  }
  // Polled: replies land through the dispatchers, and a 10 ms tick costs nothing at shutdown.
  drain_timer_->expires_after(kDrainPoll);
  drain_timer_->async_wait(
      [this, deadline, at_start, returned, done = std::move(done)](boost::system::error_code ec) {
        if (ec) return;
        drain_tick(deadline, at_start, returned, done);
      });
}

}  // namespace coyote::host::jobs
