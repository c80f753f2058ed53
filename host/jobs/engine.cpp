#include "jobs/engine.hpp"

#include "config/suggest.hpp"
#include "jobs/delay_limit.hpp"

#include "log/log.hpp"
#include "support/loop_thread.hpp"

#include <fmt/format.h>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <exception>
#include <map>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

namespace coyote::host::jobs {
namespace {

constexpr std::int64_t kDefaultPipelineSize = 1'000'000;
constexpr std::chrono::seconds kDefaultTimeout{60};
constexpr std::chrono::seconds kDefaultDrainTimeout{30};
constexpr std::chrono::milliseconds kDrainPoll{10};

// ---- the keys this file reads: jobs.* (the pools and pipelines have their own tables) -------

using config::Field;
using config::Kind;
using config::Spec;
namespace spec = config::spec;

constexpr Field kJobsOptionsFields[] = {
    {"parallelism", &spec::kInteger, "—",
     "accepted for RoadRunner compatibility (there: concurrent pipeline start/stop/destroy); "
     "Coyote starts and stops pipelines one after another on its loop"},
};
constexpr Spec kJobsOptions{Kind::kSection, kJobsOptionsFields};

const Field kEngineFields[] = {
    {"num_pollers", &spec::kInteger, "—",
     "deprecated, ignored (warning): workers are fed as they become free", false,
     "jobs.num_pollers is deprecated and ignored: workers are fed as they become free"},
    {"pipeline_size", &spec::kInteger, "`1000000`", "capacity of each pool's priority queue"},
    {"timeout", &spec::kDuration, "`60` (seconds)",
     "limit per push and per pause/resume/declare/destroy/driver call"},
    {"options", &kJobsOptions},
    {"consume", &spec::kStringList, "`[]`",
     "pipelines started at startup (also applies to pipelines declared later)"},
    {"drain_timeout", &spec::kDuration, "`30s`",
     "**Coyote**: grace period for in-flight jobs on SIGTERM/SIGINT (see *Graceful stop*)"},
    {"results", &result_keys()},
};

// -------------------------------------------------------------------------------------------------

std::vector<std::string> names_of(const Pools& pools) {
  std::vector<std::string> names;
  for (const auto& [name, executor] : pools) names.push_back(name);
  return names;
}

std::size_t pipeline_size_from(const sdk::Config& config) {
  const std::int64_t size = config.integer_or("jobs.pipeline_size", kDefaultPipelineSize);
  if (size <= 0) {
    throw config.error_at("jobs.pipeline_size",
                          "must be a positive number of jobs (default 1000000)");
  }
  return static_cast<std::size_t>(size);
}

// jobs.pool.scheduling / jobs.pools.<name>.scheduling (declared in the pool's key table).
Scheduling scheduling_of(const sdk::Config& config, const std::string& pool) {
  const std::string key =
      pool.empty() ? "jobs.pool.scheduling" : "jobs.pools." + pool + ".scheduling";
  const auto text = config.string(key);
  if (!text || text->empty()) return Scheduling::kPriority;
  if (auto mode = scheduling_from(*text)) return *mode;
  throw config.error_at(key, "scheduling \"" + *text +
                                 "\" is not known: use priority (RoadRunner's strict priority, the "
                                 "default) or fair (weighted shares by each pipeline's weight)");
}

}  // namespace

std::span<const config::Field> engine_keys() { return kEngineFields; }

Engine::Engine(boost::asio::io_context& io, const sdk::Config& config,
               plugin::DriverCatalog& drivers, const Pools& pools)
    : io_(io),
      log_(log::get("jobs")),
      pipeline_size_(pipeline_size_from(config)),
      push_timeout_(config.duration_or("jobs.timeout", kDefaultTimeout)),
      drain_timeout_(config.duration_or("jobs.drain_timeout", kDefaultDrainTimeout)),
      consume_(config.strings("jobs.consume").value_or(std::vector<std::string>{})),
      pipelines_(
          config, drivers, [this](std::string_view pool) -> sdk::Queue* { return queue(pool); },
          names_of(pools), [this](const std::string& store) { office_.declare_store(store); }),
      office_(
          pipelines_,
          [this](sdk::Message message, Done done) {
            push_one(std::move(message), std::move(done));
          },
          log_, DeadLetterSettings::from_config(config), io_),
      responses_(counters_, log_, &office_, &per_pipeline_) {
  // A job that is done for good frees its uniqueness key (see UniqueKeys). With no key held
  // there is nothing to free: no header lookup and no clock read for every job (~160
  // instructions per job, callgrind) where unique keys are not used.
  responses_.on_finished([this](const sdk::Job& job) {
    if (unique_.held() != 0) unique_.finished(job, UniqueKeys::Clock::now());
  });
  if (pools.empty()) throw std::invalid_argument("jobs engine: no worker pool was given");
  if (auto settings = ResultSettings::from_config(config)) {
    results_ = std::make_unique<ResultStore>(io_, *settings, office_.file());
    if (office_.file() == nullptr) {
      log_->info(
          "job results are kept in memory only and lost at a restart; set "
          "jobs.dead_letter.file to keep them in a file");
    }
    responses_.set_results(results_.get());
  }
  for (const auto& [pool_name, executor] : pools) {
    if (executor == nullptr) {
      throw std::invalid_argument("jobs engine: worker pool \"" + pool_name + "\" is null");
    }
    PoolLane lane;
    lane.queue = std::make_unique<PriorityQueue>(io_, pipeline_size_);
    lane.queue->set_scheduling(scheduling_of(config, pool_name));
    lane.dispatcher =
        std::make_unique<Dispatcher>(*lane.queue, *executor, responses_, &job_classes_);
    lanes_.emplace(pool_name, std::move(lane));
  }
}

Engine::~Engine() {
  stop();
  // Queued jobs reference their drivers: drop them while every driver is still alive.
  for (const auto& name : pipelines_.names()) {
    for (auto& [pool, lane] : lanes_) (void)lane.queue->remove(name);
  }
}

bool Engine::consumes(std::string_view pipeline) const {
  return std::find(consume_.begin(), consume_.end(), pipeline) != consume_.end();
}

void Engine::start() {
  COYOTE_ASSERT_LOOP_THREAD();
  if (started_) return;
  started_ = true;
  for (auto& [pool, lane] : lanes_) lane.dispatcher->start();
  pipelines_.build_from_config();
  pipelines_.for_each([this](const std::string& name, PipelineEntry& entry) {
    if (PriorityQueue* q = queue(entry.pool)) q->set_flow(name, entry.flow);
  });
  for (const auto& name : consume_) {
    PipelineEntry* entry = pipelines_.find(name);
    if (entry == nullptr) {
      // May name a pipeline that will be declared at runtime; it starts then.
      log_->debug("jobs.consume names \"{}\", not defined in jobs.pipelines (yet)", name);
      continue;
    }
    auto status = entry->driver->run();
    if (!status) {
      throw std::runtime_error(fmt::format("pipeline \"{}\" (driver {}) failed to start: {}", name,
                                           entry->pipeline.driver(), status.message()));
    }
    log_->debug("pipeline {} is consuming", name);
  }
}

void Engine::stop() {
  COYOTE_ASSERT_LOOP_THREAD();
  if (stopped_) return;
  stopped_ = true;
  for (auto& [pool, lane] : lanes_) lane.dispatcher->halt();
  pipelines_.for_each([this](const std::string& name, PipelineEntry& entry) {
    // The SDK contract: the host takes the queued jobs out before Driver::stop.
    if (PriorityQueue* q = queue(entry.pool)) (void)q->remove(name);
    auto status = entry.driver->stop();
    if (!status) log_->error("pipeline {}: driver stop failed: {}", name, status.message());
  });
}

std::string Engine::admit(sdk::Message& message, PipelineEntry*& entry) {
  if (stopped_) return "the jobs plugin is stopping, push refused";
  entry = pipelines_.find(message.options.pipeline);
  if (entry == nullptr) return no_such_pipeline(message.options.pipeline);
  // The context of the error is built only for an error: this runs for every pushed job.
  if (message.options.delay_seconds > kMaxDelaySeconds) {
    return check_delay(message.options.delay_seconds, "job " + message.id).message();
  }
  // The host owns the delivery counter (sdk::kAttemptHeader): a producer's value is dropped, so
  // a job pushed with "X-Coyote-Attempt: 99" still gets every attempt its retry policy allows.
  if (auto attempt = message.headers.find(kAttemptHeader); attempt != message.headers.end()) {
    message.headers.erase(attempt);
  }
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
  PipelineEntry* entry = nullptr;
  if (auto refused = admit(message, entry); !refused.empty()) {
    ++counters_.push_err;
    done(sdk::Status::error(std::move(refused)));
    return;
  }
  auto claim = unique_.claim(message, UniqueKeys::Clock::now());
  if (!claim) {
    ++counters_.push_err;
    done(claim.status());
    return;
  }
  auto counted = [this, pipeline = message.options.pipeline,
                  started = std::chrono::steady_clock::now(), claimed = std::move(*claim),
                  done = std::move(done)](sdk::Status status) {
    if (!status && claimed) unique_.unclaim(*claimed);
    ++(status ? counters_.push_ok : counters_.push_err);
    ++(status ? per_pipeline_.of(pipeline).push_ok : per_pipeline_.of(pipeline).push_err);
    PushStats& push = per_pipeline_.push_of(pipeline, PushSource::kSingle);
    ++push.requests;
    push.latency.observe(std::chrono::steady_clock::now() - started);
    done(std::move(status));
  };
  entry->driver->push(std::move(message), on_loop(std::move(counted)));
}

void Engine::push(sdk::Message message, Done done) {
  COYOTE_ASSERT_LOOP_THREAD();
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
  COYOTE_ASSERT_LOOP_THREAD();
  // Like RoadRunner: no empty-id check here, and the first failure ends the batch.
  auto batch = std::make_shared<BatchPush>();
  batch->messages = std::move(messages);
  batch->done = std::move(done);
  continue_batch(batch);
}

void Engine::continue_batch(const std::shared_ptr<BatchPush>& batch) {
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
    PipelineEntry* entry = nullptr;
    // Keys taken by this run, given back when the run is refused (here or by its driver).
    auto claims = std::make_shared<std::vector<UniqueKeys::Claim>>();
    const auto unclaim_run = [this, claims] {
      for (const auto& c : *claims) unique_.unclaim(c);
    };
    // One clock read per run, not per job: a throttle window starts when its batch is admitted.
    const auto now = UniqueKeys::Clock::now();
    for (std::size_t i = begin; i < end; ++i) {
      if (auto refused = admit(messages[i], entry); !refused.empty()) {
        ++counters_.push_err;
        unclaim_run();
        batch->done(sdk::Status::error(std::move(refused)));
        return;
      }
      auto claim = unique_.claim(messages[i], now);
      if (!claim) {
        ++counters_.push_err;
        unclaim_run();
        batch->done(claim.status());
        return;
      }
      if (*claim) claims->push_back(std::move(**claim));
    }
    std::vector<sdk::Message> run;
    if (begin == 0 && end == messages.size()) {
      // The usual batch, one pipeline: handed over whole, not moved job by job (a Message is
      // ~280 bytes) into a second vector.
      run = std::move(messages);
      messages.clear();
    } else {
      run.reserve(end - begin);
      for (std::size_t i = begin; i < end; ++i) run.push_back(std::move(messages[i]));
    }
    const std::size_t count = run.size();
    // 0: still inside push_batch; 1: completed inside it; 2: will complete later.
    auto state = std::make_shared<int>(0);
    auto failed = std::make_shared<sdk::Status>();
    entry->driver->push_batch(
        std::move(run),
        on_loop([this, batch, count, state, failed, unclaim_run, pipeline = entry->pipeline.name(),
                 started = std::chrono::steady_clock::now()](sdk::Status status) {
          if (!status) unclaim_run();
          (status ? counters_.push_ok : counters_.push_err) += count;
          Counters& mine = per_pipeline_.of(pipeline);
          (status ? mine.push_ok : mine.push_err) += count;
          PushStats& push = per_pipeline_.push_of(pipeline, PushSource::kBatch);
          push.requests += count;
          const auto took = std::chrono::steady_clock::now() - started;
          for (std::size_t i = 0; i < count; ++i) push.latency.observe(took);
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

sdk::Status Engine::for_each_pipeline(const std::vector<std::string>& names,
                                      sdk::Status (sdk::Driver::*op)()) {
  for (const auto& name : names) {
    PipelineEntry* entry = pipelines_.find(name);
    if (entry == nullptr) return sdk::Status::error(no_such_pipeline(name));
    auto status = ((*entry->driver).*op)();
    if (!status) return status;
  }
  return sdk::Status::ok();
}

sdk::Status Engine::pause(const std::vector<std::string>& names) {
  COYOTE_ASSERT_LOOP_THREAD();
  return for_each_pipeline(names, &sdk::Driver::pause);
}

sdk::Status Engine::resume(const std::vector<std::string>& names) {
  COYOTE_ASSERT_LOOP_THREAD();
  return for_each_pipeline(names, &sdk::Driver::resume);
}

std::vector<std::string> Engine::list() const { return pipelines_.names(); }

sdk::Status Engine::declare(const std::map<std::string, std::string>& options) {
  COYOTE_ASSERT_LOOP_THREAD();
  auto entry = pipelines_.declare(options);
  if (!entry) return entry.status();
  PipelineEntry& declared = **entry;
  if (PriorityQueue* q = queue(declared.pool)) q->set_flow(declared.pipeline.name(), declared.flow);
  if (consumes(declared.pipeline.name()) && started_ && !stopped_) return declared.driver->run();
  return sdk::Status::ok();
}

sdk::Result<std::vector<std::string>> Engine::destroy(const std::vector<std::string>& names) {
  COYOTE_ASSERT_LOOP_THREAD();
  std::vector<std::string> destroyed;
  sdk::Status first_error;
  for (const auto& name : names) {
    PipelineEntry* entry = pipelines_.find(name);
    if (entry == nullptr) {
      if (first_error.is_ok()) first_error = sdk::Status::error(no_such_pipeline(name));
      continue;
    }
    // Paused first, so the jobs handed back stay in the driver: it reports what its stop drops
    // (the memory driver counts them and names them in a file), none vanish uncounted.
    (void)entry->driver->pause();
    if (const std::size_t back = hand_back_queued(name, *entry, "destroy"); back > 0) {
      log_->info("destroy {}: {} queued job(s) returned to the driver before it stopped", name,
                 back);
    }
    auto status = entry->driver->stop();
    if (!status) {
      if (first_error.is_ok()) first_error = status;
      continue;
    }
    pipelines_.retire(name);
    per_pipeline_.forget(name);
    unique_.forget_pipeline(name);
    destroyed.push_back(name);
  }
  if (!first_error) return first_error;
  return destroyed;
}

sdk::Result<std::vector<sdk::State>> Engine::stat() {
  COYOTE_ASSERT_LOOP_THREAD();
  std::vector<sdk::State> states;
  pipelines_.for_each([&states](const std::string& name, PipelineEntry& entry) {
    // A driver that fails to report puts the reason in the State's error (GuardedDriver).
    sdk::State state = entry.driver->state();
    if (state.pipeline.empty()) state.pipeline = name;
    if (state.driver.empty()) state.driver = entry.pipeline.driver();
    states.push_back(std::move(state));
  });
  // Dead-letter stores are reported like pipelines of driver "dead_letter", never consuming;
  // `active` is the number of dead jobs held.
  for (const auto& store : office_.dead_stores()) {
    sdk::State state;
    state.pipeline = store;
    state.driver = "dead_letter";
    state.queue = store;
    state.active = static_cast<std::int64_t>(office_.held(store));
    state.ready = false;
    state.error = office_.fault();
    states.push_back(std::move(state));
  }
  return states;
}

EngineStats Engine::stats() {
  COYOTE_ASSERT_LOOP_THREAD();
  EngineStats out;
  out.totals = counters_;
  const auto now = std::chrono::steady_clock::now();
  pipelines_.for_each([&](const std::string& name, PipelineEntry& entry) {
    EngineStats::Pipeline p;
    p.name = name;
    p.driver = entry.pipeline.driver();
    p.pool = entry.pool;
    // Cached counts by the SDK contract; a driver that fails puts the reason in `error`.
    p.state = entry.driver->state();
    auto counted = per_pipeline_.get(name);
    p.counters = counted.counters;
    p.push = counted.push;
    out.pipelines.push_back(std::move(p));
  });
  // Built once the vector is complete: its names stay put, so views into them are safe.
  std::unordered_map<std::string_view, std::size_t> index;  // pipeline -> position in out
  index.reserve(out.pipelines.size());
  for (std::size_t i = 0; i < out.pipelines.size(); ++i) index.emplace(out.pipelines[i].name, i);
  for (const auto& [pool, lane] : lanes_) {
    EngineStats::Lane l;
    l.pool = pool;
    l.capacity = lane.queue->capacity();
    l.wait = lane.dispatcher->wait_times();
    l.exec = lane.dispatcher->exec_times();
    lane.queue->visit_loads(
        [&](std::string_view pipeline, const PriorityQueue::PipelineLoad& load) {
          l.queued += load.queued;
          const auto it = index.find(pipeline);
          if (it == index.end()) return;  // a destroyed pipeline's job restored after its removal
          auto& p = out.pipelines[it->second];
          p.queued += load.queued;
          p.held += load.held;
          if (load.queued > 0 && load.oldest != std::chrono::steady_clock::time_point{}) {
            p.oldest_queued =
                std::max(p.oldest_queued, std::chrono::duration<double>(now - load.oldest).count());
          }
        });
    lane.dispatcher->visit_in_flight([&](const sdk::Job& job) {
      if (const auto it = index.find(job.pipeline()); it != index.end()) {
        ++out.pipelines[it->second].in_flight;
      }
    });
    out.lanes.push_back(std::move(l));
  }
  for (const auto& store : office_.dead_stores()) {
    out.dead_stores.push_back({store, office_.held(store)});
  }
  if (results_) {
    out.results_kept = results_->size();
    out.results_too_large = results_->refused_too_large();
    out.result_waiters = results_->waiting();
  }
  return out;
}

std::size_t Engine::queued() const {
  std::size_t n = 0;
  for (const auto& [pool, lane] : lanes_) n += lane.queue->size();
  return n;
}

std::size_t Engine::in_flight() const {
  std::size_t n = 0;
  for (const auto& [pool, lane] : lanes_) n += lane.dispatcher->in_flight();
  // A job whose dead letter is being written is still to be acked: a drain waits for it too.
  return n + responses_.burying();
}

PriorityQueue* Engine::queue(std::string_view pool) {
  auto it = lanes_.find(pool);
  return it == lanes_.end() ? nullptr : it->second.queue.get();
}

namespace {
/// The driver whose jobs exist only in this process: what it still holds when it stops is lost,
/// so the drain serves its pipelines to the end instead of handing their jobs back.
constexpr std::string_view kInProcessDriver = "memory";
}  // namespace

std::size_t Engine::hand_back_queued(const std::string& name, PipelineEntry& entry,
                                     std::string_view why) {
  PriorityQueue* q = queue(entry.pool);
  if (q == nullptr) return 0;
  std::size_t returned = 0;
  for (auto& job : q->remove(name)) {
    auto status = ResponseHandler::hand_back(*job);
    if (status) {
      ++returned;
    } else {
      log_->error("{}: job {} (pipeline {}) could not be returned to its driver: {}", why,
                  job->id(), name, status.message());
    }
  }
  return returned;
}

std::uint64_t Engine::settled() const noexcept {
  return counters_.jobs_ok + counters_.jobs_err + counters_.jobs_requeue;
}

bool Engine::in_process_pipelines_idle() {
  bool idle = true;
  pipelines_.for_each([&idle](const std::string&, PipelineEntry& entry) {
    if (!idle || entry.pipeline.driver() != kInProcessDriver) return;
    // A paused pipeline's buffered jobs are counted as active but cannot be served: waiting
    // the whole grace for them would not save them.
    const auto state = entry.driver->state();
    if (state.ready && state.active > 0) idle = false;
  });
  return idle;
}

void Engine::drain(std::chrono::milliseconds grace, std::function<void(const DrainReport&)> done) {
  COYOTE_ASSERT_LOOP_THREAD();
  if (draining_ || stopped_) {
    done(DrainReport{});
    return;
  }
  draining_ = true;
  // Broker pipelines stop consuming and give their queued jobs back (the broker keeps them);
  // memory pipelines keep being dispatched until they are empty or the grace ends: a stop would
  // lose what they hold (SIGTERM with 20 000 queued lost 19 608, uncounted).
  std::size_t returned = 0;
  std::size_t served = 0;
  pipelines_.for_each([this, &returned, &served](const std::string& name, PipelineEntry& entry) {
    if (entry.pipeline.driver() == kInProcessDriver) {
      ++served;
      return;
    }
    // A paused pipeline answers pause() with an error; either way it moves no more jobs.
    (void)entry.driver->pause();
    returned += hand_back_queued(name, entry, "drain");
  });
  const std::size_t at_start = in_flight();
  drain_settled_at_start_ = settled();
  drain_burying_at_start_ = responses_.burying();
  log_->info(
      "draining: {} job(s) in flight, {} queued job(s) returned to their drivers, {} memory "
      "pipeline(s) served until empty; grace {}ms",
      at_start, returned, served, grace.count());
  drain_timer_ = std::make_unique<boost::asio::steady_timer>(io_);
  drain_tick(std::chrono::steady_clock::now() + grace, at_start, returned, std::move(done));
}

void Engine::drain_tick(std::chrono::steady_clock::time_point deadline, std::size_t at_start,
                        std::size_t returned, std::function<void(const DrainReport&)> done) {
  const bool idle = in_flight() == 0 && in_process_pipelines_idle();
  if (idle || std::chrono::steady_clock::now() >= deadline) {
    for (auto& [pool, lane] : lanes_) lane.dispatcher->halt();
    pipelines_.for_each([this, &returned](const std::string& name, PipelineEntry& entry) {
      if (entry.pipeline.driver() != kInProcessDriver) return;
      (void)entry.driver->pause();
      returned += hand_back_queued(name, entry, "drain");
    });
    DrainReport report;
    report.abandoned = in_flight();
    const std::uint64_t settled_now = settled() - drain_settled_at_start_;
    const std::size_t buried_since =
        drain_burying_at_start_ - std::min(drain_burying_at_start_, responses_.burying());
    report.finished = static_cast<std::size_t>(settled_now) + buried_since;
    report.returned = returned;
    (void)at_start;
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
