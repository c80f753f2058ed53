#include "cli/serve_command.hpp"

#include "cli/rr_schema.hpp"
#include "dashboard/dashboard.hpp"
#include "jobs/engine.hpp"
#include "log/log.hpp"
#include "observe/observability.hpp"
#include "plugin/plugin_host.hpp"
#include "rpc/dead_letter_methods.hpp"
#include "rpc/result_methods.hpp"
#include "rpc/rpc_server.hpp"
#include "schedule/durable_keys.hpp"
#include "schedule/schedule_methods.hpp"
#include "schedule/schedule_metrics.hpp"
#include "schedule/scheduler.hpp"
#include "support/loop_thread.hpp"
#include "support/version.hpp"
#include "worker/init_command.hpp"
#include "worker/pool_set.hpp"
#include "worker/worker_pool.hpp"

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <vector>

namespace coyote::host::cli {
namespace {

/// Everything `serve` runs, in construction order; destroyed in reverse once the loop is done.
struct Runtime {
  // One thread runs the loop and only it touches the loop's sockets, pipes and timers; other
  // threads (drivers, the metrics formatter) only post to it. So the reactor's per-descriptor
  // locks are dropped (two lock/unlock pairs per job, -150 instructions per job:
  // docs/architecture.md) and the scheduler's lock, which those posts need, is kept.
  boost::asio::io_context io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  plugin::DriverRegistry registry;
  std::unique_ptr<worker::PoolSet> pools;
  std::unique_ptr<jobs::Engine> engine;
  std::unique_ptr<schedule::FireLog> fire_log;
  std::unique_ptr<schedule::Scheduler> scheduler;
  std::unique_ptr<rpc::RpcServer> rpc;
  std::unique_ptr<observe::Observability> observe;
  std::unique_ptr<schedule::ScheduleMetrics> schedule_metrics;
  std::unique_ptr<dashboard::Dashboard> dashboard;
  std::unique_ptr<boost::asio::steady_timer> startup_watch;
  int exit_code = 0;
};

/// Until every pool has had a ready worker: a pool none of whose first workers could start
/// (or finish the handshake) ends `serve` with the reason and code 1, as RoadRunner refuses to
/// start, instead of retrying for ever in the background. Later failures keep the back-off.
void watch_startup(Runtime& rt) {
  std::vector<std::string> waiting;
  for (const auto& name : rt.pools->names()) {
    const auto* pool = rt.pools->pool(name);
    if (pool != nullptr && pool->ready_count() == 0 && pool->config().num_workers > 0) {
      waiting.push_back(name);
    }
  }
  for (const auto& name : waiting) {
    const std::string failure = rt.pools->pool(name)->startup_failure();
    if (failure.empty()) continue;
    const std::string label = name.empty() ? std::string("jobs.pool") : "jobs.pools." + name;
    log::get("coyote")->critical("cannot start: {}: no worker could be started ({} attempts): {}",
                                 label, worker::WorkerPool::kStartupAttempts, failure);
    std::fprintf(stderr,
                 "coyote: cannot start: %s: no worker could be started (%zu attempts): %s\n",
                 label.c_str(), worker::WorkerPool::kStartupAttempts, failure.c_str());
    rt.exit_code = 1;
    if (rt.rpc) rt.rpc->stop();
    if (rt.engine) rt.engine->stop();
    rt.pools->stop([&rt] { rt.io.stop(); });
    return;
  }
  std::erase_if(waiting,
                [&rt](const std::string& name) { return rt.pools->pool(name)->ready_count() > 0; });
  if (waiting.empty()) return;
  rt.startup_watch->expires_after(std::chrono::milliseconds{20});
  rt.startup_watch->async_wait([&rt](const boost::system::error_code& ec) {
    if (!ec) watch_startup(rt);
  });
}

/// jobs.schedules, each naming a pipeline the engine has; their last fires are kept in the
/// host's file (jobs.dead_letter.file) when there is one.
std::unique_ptr<schedule::Scheduler> make_scheduler(Runtime& rt, const sdk::Config& config) {
  auto schedules = schedule::schedules_from_config(config);
  const auto pipelines = rt.engine->list();
  for (const auto& s : schedules) {
    if (std::find(pipelines.begin(), pipelines.end(), s.pipeline) == pipelines.end()) {
      throw config.error_at("jobs.schedules." + s.name + ".pipeline",
                            "no such pipeline \"" + s.pipeline +
                                "\"; name one of jobs.pipelines (" +
                                fmt::format("{}", fmt::join(pipelines, ", ")) + ")");
    }
  }
  if (auto* file = rt.engine->host_file()) rt.fire_log = std::make_unique<schedule::FireLog>(*file);
  return std::make_unique<schedule::Scheduler>(rt.io, *rt.engine, rt.fire_log.get(),
                                               std::move(schedules));
}

jobs::Pools engine_pools(worker::PoolSet& set) {
  jobs::Pools pools;
  for (const auto& name : set.names()) pools.emplace(name, set.executor(name));
  return pools;
}

/// First SIGINT/SIGTERM: stop taking RPC calls, drain the engine (memory pipelines are served
/// until empty, broker pipelines' queued jobs go back to their drivers, all within
/// jobs.drain_timeout), stop the
/// pipelines, stop the workers (each gets the {"stop":true} frame), then leave the loop. A
/// second signal exits at once.
void arm_signals(Runtime& rt, boost::asio::signal_set& signals, int& signals_seen) {
  signals.async_wait([&rt, &signals, &signals_seen](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    auto log = log::get("coyote");
    if (++signals_seen > 1) {
      log->warn("second signal ({}): exiting now without waiting for workers", sig);
      log->flush();
      std::_Exit(1);
    }
    log->info("signal {} received: draining (send it again to force exit)", sig);
    if (rt.rpc) rt.rpc->stop();
    if (rt.scheduler) rt.scheduler->stop();
    if (rt.observe) rt.observe->shutting_down();
    auto stop_rest = [&rt](const jobs::DrainReport& report) {
      log::get("coyote")->info(
          "shutdown: {} job(s) finished, {} queued job(s) returned to their drivers, "
          "{} abandoned",
          report.finished, report.returned, report.abandoned);
      if (rt.engine) rt.engine->stop();
      rt.pools->stop([&rt] {
        log::get("coyote")->info("all workers stopped; bye");
        if (rt.observe) rt.observe->stop();
        if (rt.dashboard) rt.dashboard->stop();
        rt.io.stop();
      });
    };
    if (rt.engine) {
      rt.engine->drain(rt.engine->drain_timeout(), stop_rest);
    } else {
      stop_rest(jobs::DrainReport{});
    }
    arm_signals(rt, signals, signals_seen);
  });
}

}  // namespace

int run_serve(const Options& options) {
  // The process's one SIGPIPE policy: a worker that dies while we write its stdin must surface
  // as an EPIPE error on that pipe, not kill the host (WorkerPool asserts it in debug builds).
  std::signal(SIGPIPE, SIG_IGN);
  // As Go's runtime does for RoadRunner: the soft open-file limit is raised to the hard one, so
  // a host serving many RPC connections does not run out of descriptors at 1024.
  struct rlimit files {};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &files);
  }
  // This thread builds everything and runs the loop: the one thread the components accept.
  support::set_loop_thread();

  Runtime rt;
  std::unique_ptr<config::ConfigDocument> cfg;
  try {
    cfg = std::make_unique<config::ConfigDocument>(load_config(options));
    auto warnings = validate_or_throw(*cfg);
    log::configure(*cfg);
    auto log = log::get("coyote");
    for (const auto& w : warnings) log->warn("{}", w.to_string());
    log->info("coyote {} starting with {}", support::kVersion, cfg->file());

    auto report = plugin::load_plugins(*cfg, cfg->working_dir(), rt.registry);
    if (!report.ok()) {
      std::fprintf(stderr, "coyote: cannot load driver plugins:\n%s\n",
                   report.error_text().c_str());
      return 1;
    }

    const auto server = worker::server_config_from(*cfg);
    // RoadRunner runs server.on_init once, before any worker starts.
    if (const auto init = worker::init_command_from(*cfg, server)) {
      if (auto status = worker::run_init_command(*init, server, worker::host_environment());
          !status) {
        if (init->exit_on_error) {
          std::fprintf(stderr, "coyote: cannot start: %s (server.on_init.exit_on_error)\n",
                       status.message().c_str());
          return 1;
        }
        log->error("{}; starting anyway (server.on_init.exit_on_error is false)", status.message());
      }
    }
    rt.pools = std::make_unique<worker::PoolSet>(rt.io, worker::pool_configs_from(*cfg), server);
    // The registry hands out guarded drivers only: plugin exceptions never reach the engine.
    rt.engine = std::make_unique<jobs::Engine>(rt.io, *cfg, rt.registry, engine_pools(*rt.pools));
    // Before the durable drivers open (and lock) their files: keys of jobs they still hold.
    (void)schedule::adopt_durable_keys(*cfg, rt.engine->unique_keys(), log::get("jobs"));
    rt.engine->start();
    rt.scheduler = make_scheduler(rt, *cfg);

    rpc::RpcServerOptions rpc_options;
    rpc_options.listen = rpc_listen(*cfg);
    read_rpc_limits(*cfg, rpc_options);
    rpc_options.version = support::kVersion;
    rt.rpc = std::make_unique<rpc::RpcServer>(rt.io, rpc_options, *rt.engine, rt.pools.get());
    rpc::add_dead_letter_methods(rt.rpc->methods(), rt.engine->dead_letters());
    schedule::add_schedule_methods(rt.rpc->methods(), *rt.scheduler, rt.engine->unique_keys());
    rpc::add_result_methods(rt.rpc->methods(), rt.engine->results());
    // Before the RPC server starts, so metrics.* and status.* answer from the first call.
    rt.observe =
        std::make_unique<observe::Observability>(rt.io, *cfg, *rt.engine, *rt.pools, *rt.rpc);
    if (auto* registry = rt.observe->registry()) {
      rt.schedule_metrics = std::make_unique<schedule::ScheduleMetrics>(*registry, *rt.scheduler,
                                                                        rt.engine->unique_keys());
    }
    if (auto settings = dashboard::dashboard_settings(*cfg)) {
      rt.dashboard = std::make_unique<dashboard::Dashboard>(rt.io, std::move(*settings), *rt.engine,
                                                            rt.pools.get(), rt.rpc->methods(),
                                                            support::kVersion);
    }
    rt.rpc->start();
    rt.observe->start();
    // Unlike metrics, a dashboard that cannot bind stops serve: the operator asked for a way to
    // run the host by hand and should not find out later that it is missing.
    if (rt.dashboard) rt.dashboard->start();
    rt.pools->start();
    rt.scheduler->start();
    rt.startup_watch = std::make_unique<boost::asio::steady_timer>(rt.io);
    watch_startup(rt);
    log->info("RPC listening on {}; pipelines: {}", rt.rpc->local_address(),
              fmt::join(rt.engine->list(), ", "));
  } catch (const sdk::ConfigError& e) {
    std::fprintf(stderr, "coyote: configuration error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "coyote: cannot start: %s\n", e.what());
    rt.schedule_metrics.reset();
    rt.dashboard.reset();
    rt.observe.reset();
    if (rt.pools) {
      rt.pools->stop([&rt] { rt.io.stop(); });
      rt.io.run();
    }
    return 1;
  }

  boost::asio::signal_set signals(rt.io, SIGINT, SIGTERM);
  int signals_seen = 0;
  arm_signals(rt, signals, signals_seen);
  // A handler that throws (std::bad_alloc under a memory limit, a bug) loses what it was doing,
  // never the host: the loop goes on with every other connection, worker and pipeline.
  for (;;) {
    try {
      rt.io.run();
      break;
    } catch (const std::exception& e) {
      log::get("coyote")->error("event loop: a handler failed and was abandoned: {}", e.what());
    }
  }
  rt.schedule_metrics.reset();
  rt.dashboard.reset();
  rt.observe.reset();
  rt.startup_watch.reset();
  rt.rpc.reset();
  rt.scheduler.reset();
  rt.fire_log.reset();
  rt.engine.reset();
  rt.pools.reset();
  log::get("coyote")->flush();
  return rt.exit_code;
}

}  // namespace coyote::host::cli
