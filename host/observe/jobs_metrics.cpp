#include "observe/jobs_metrics.hpp"

#include "support/loop_thread.hpp"
#include "worker/worker_state.hpp"

#include <unistd.h>

#include <array>
#include <fstream>
#include <map>
#include <mutex>
#include <vector>

namespace coyote::host::observe {
namespace {

using metrics::Family;
using metrics::MetricDesc;
using metrics::MetricType;

MetricDesc desc(std::string name, std::string help, MetricType type,
                std::vector<std::string> labels = {}, std::vector<double> buckets = {}) {
  MetricDesc d;
  d.name = std::move(name);
  d.help = std::move(help);
  d.type = type;
  d.labels = std::move(labels);
  d.buckets = std::move(buckets);
  return d;
}

std::vector<double> bounds_of(std::span<const double> bounds) {
  return {bounds.begin(), bounds.end()};
}

constexpr auto kCounter = MetricType::kCounter;
constexpr auto kGauge = MetricType::kGauge;
constexpr auto kHistogram = MetricType::kHistogram;

std::uint64_t rss_of(int pid) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  std::uint64_t size = 0;
  std::uint64_t resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

bool is_invalid(worker::WorkerState s) {
  // RoadRunner's rr_jobs_workers_invalid: "invalid,killing,destroyed,errored,inactive states".
  using S = worker::WorkerState;
  return s == S::kInvalid || s == S::kStopping || s == S::kDestroyed || s == S::kErrored ||
         s == S::kInactive;
}

}  // namespace

std::string pool_label(const std::string& pool) { return pool.empty() ? "default" : pool; }

struct JobsMetrics::Pids {
  std::mutex mu;
  std::vector<int> pids;
};

struct JobsMetrics::Families {
  explicit Families(metrics::Registry& r)
      : total_workers(r.define(
            desc("rr_jobs_total_workers", "Total number of workers used by the plugin", kGauge))),
        workers_ready(
            r.define(desc("rr_jobs_workers_ready", "Workers currently in ready state", kGauge))),
        workers_working(r.define(
            desc("rr_jobs_workers_working", "Workers currently in working state", kGauge))),
        workers_invalid(r.define(desc(
            "rr_jobs_workers_invalid",
            "Workers currently in invalid,killing,destroyed,errored,inactive states", kGauge))),
        worker_state(r.define(
            desc("rr_jobs_worker_state", "Worker current state", kGauge, {"state", "pid"}))),
        jobs_ok(
            r.define(desc("rr_jobs_jobs_ok", "Number of successfully processed jobs", kCounter))),
        jobs_err(r.define(desc("rr_jobs_jobs_err",
                               "Number of jobs error while processing in the worker", kCounter))),
        jobs_requeue(r.define(desc("rr_jobs_jobs_requeue", "Number of re-queued jobs", kCounter))),
        push_ok(r.define(desc("rr_jobs_push_ok", "Number of job push", kCounter))),
        push_err(
            r.define(desc("rr_jobs_push_err", "Number of jobs push which was failed", kCounter))),
        push_latency(r.define(
            desc("rr_jobs_push_latency", "Histogram represents latency for pushed operation",
                 kHistogram, {"job", "driver", "source"}, bounds_of(jobs::kPushLatencyBounds)))),
        requests(r.define(desc("rr_jobs_requests_total",
                               "The total number of requests sent to the JOBS plugin", kCounter,
                               {"job", "driver", "source"}))),
        p_pushes(
            r.define(desc("coyote_pipeline_pushes_total",
                          "Jobs the pipeline's driver accepted (held safely)", kCounter, kPl))),
        p_push_errors(
            r.define(desc("coyote_pipeline_push_errors_total",
                          "Pushes the pipeline's driver refused or failed", kCounter, kPl))),
        p_acks(r.define(desc("coyote_pipeline_acks_total",
                             "Deliveries that ended acknowledged as done (rr_jobs_jobs_ok)",
                             kCounter, kPl))),
        p_nacks(r.define(desc("coyote_pipeline_nacks_total",
                              "Deliveries that failed: error or nack reply, bad reply, lost or "
                              "timed-out worker (rr_jobs_jobs_err)",
                              kCounter, kPl))),
        p_requeues(r.define(desc("coyote_pipeline_requeues_total",
                                 "Jobs the worker asked to requeue (rr_jobs_jobs_requeue)",
                                 kCounter, kPl))),
        p_retries(r.define(desc("coyote_pipeline_retries_total",
                                "Failed jobs redelivered by the pipeline's retry policy", kCounter,
                                kPl))),
        p_dead(r.define(desc("coyote_pipeline_dead_lettered_total",
                             "Jobs moved to a dead-letter store after their last attempt", kCounter,
                             kPl))),
        p_dropped(r.define(desc("coyote_pipeline_dropped_total",
                                "Jobs that failed for good with no dead_letter configured "
                                "(each is logged with its id)",
                                kCounter, kPl))),
        p_queued(r.define(desc("coyote_pipeline_queued_jobs",
                               "Jobs in the host's queue waiting for a worker", kGauge, kPl))),
        p_in_flight(r.define(
            desc("coyote_pipeline_in_flight_jobs", "Jobs running on a worker now", kGauge, kPl))),
        p_oldest(r.define(desc("coyote_pipeline_oldest_queued_seconds",
                               "How long the oldest job in the host's queue has waited (0: none)",
                               kGauge, kPl))),
        p_driver_jobs(r.define(desc("coyote_pipeline_driver_jobs",
                                    "Jobs the driver holds, by state (active: ready to deliver; "
                                    "delayed; reserved: delivered, not yet acknowledged), as "
                                    "jobs.Stat reports them",
                                    kGauge, {"pipeline", "driver", "state"}))),
        p_consuming(r.define(desc("coyote_pipeline_consuming",
                                  "1 while the pipeline's consumer runs (jobs.Stat ready), 0 "
                                  "when paused or producer-only",
                                  kGauge, kPl))),
        p_driver_error(r.define(desc("coyote_pipeline_driver_error",
                                     "1 while the pipeline's driver reports an error (broker "
                                     "unreachable...; the text is in /jobs and jobs.Stat)",
                                     kGauge, kPl))),
        pool_configured(r.define(desc("coyote_pool_configured_workers",
                                      "Workers the pool keeps (num_workers, moved by "
                                      "informer.AddWorker/RemoveWorker)",
                                      kGauge, {"pool"}))),
        pool_workers(r.define(
            desc("coyote_pool_workers", "Worker processes by state", kGauge, {"pool", "state"}))),
        pool_busy(r.define(
            desc("coyote_pool_busy_workers", "Workers running a job now", kGauge, {"pool"}))),
        pool_busy_ratio(
            r.define(desc("coyote_pool_busy_ratio",
                          "Busy workers / configured workers (0 with none)", kGauge, {"pool"}))),
        pool_queued(
            r.define(desc("coyote_pool_queued_jobs",
                          "Jobs in the pool's host queue waiting for a worker", kGauge, {"pool"}))),
        pool_capacity(r.define(desc("coyote_pool_queue_capacity",
                                    "Jobs the pool's host queue holds at most "
                                    "(jobs.pipeline_size)",
                                    kGauge, {"pool"}))),
        pool_wait(r.define(desc("coyote_pool_wait_seconds",
                                "Time dispatched jobs waited in the host queue for a worker",
                                kHistogram, {"pool"}, bounds_of(jobs::kJobDurationBounds)))),
        pool_exec(r.define(desc("coyote_pool_exec_seconds", "Time workers took to answer a job",
                                kHistogram, {"pool"}, bounds_of(jobs::kJobDurationBounds)))),
        pool_restarts(r.define(desc("coyote_pool_restarts_total",
                                    "Workers the pool replaced, by cause (crash, exec_ttl, ttl, "
                                    "idle_ttl, max_jobs, memory, requested)",
                                    kCounter, {"pool", "cause"}))),
        dead_jobs(r.define(desc("coyote_dead_letter_jobs", "Jobs held in a dead-letter store",
                                kGauge, {"store"}))),
        p_held(r.define(desc("coyote_pipeline_held_jobs",
                             "Jobs in the host's queue that the pipeline's max_concurrency or "
                             "rate_limit holds back right now",
                             kGauge, kPl))),
        results_kept(
            r.define(desc("coyote_job_results",
                          "Finished jobs' results held for producers (jobs.results)", kGauge))),
        results_too_large(
            r.define(desc("coyote_job_results_too_large_total",
                          "Results not kept: larger than jobs.results.max_size", kCounter))),
        result_waiters(
            r.define(desc("coyote_job_result_waiters",
                          "coyote.JobResult calls waiting for a job to finish", kGauge))) {}

  static inline const std::vector<std::string> kPl = {"pipeline", "driver"};

  Family& total_workers;
  Family& workers_ready;
  Family& workers_working;
  Family& workers_invalid;
  Family& worker_state;
  Family& jobs_ok;
  Family& jobs_err;
  Family& jobs_requeue;
  Family& push_ok;
  Family& push_err;
  Family& push_latency;
  Family& requests;
  Family& p_pushes;
  Family& p_push_errors;
  Family& p_acks;
  Family& p_nacks;
  Family& p_requeues;
  Family& p_retries;
  Family& p_dead;
  Family& p_dropped;
  Family& p_queued;
  Family& p_in_flight;
  Family& p_oldest;
  Family& p_driver_jobs;
  Family& p_consuming;
  Family& p_driver_error;
  Family& pool_configured;
  Family& pool_workers;
  Family& pool_busy;
  Family& pool_busy_ratio;
  Family& pool_queued;
  Family& pool_capacity;
  Family& pool_wait;
  Family& pool_exec;
  Family& pool_restarts;
  Family& dead_jobs;
  Family& p_held;
  Family& results_kept;
  Family& results_too_large;
  Family& result_waiters;

  [[nodiscard]] std::vector<Family*> per_pipeline() {
    return {&p_pushes,  &p_push_errors, &p_acks,         &p_nacks,  &p_requeues,
            &p_retries, &p_dead,        &p_dropped,      &p_queued, &p_in_flight,
            &p_oldest,  &p_consuming,   &p_driver_error, &p_held};
  }
  [[nodiscard]] std::vector<Family*> per_pool() {
    return {&pool_configured, &pool_busy, &pool_busy_ratio, &pool_queued,
            &pool_capacity,   &pool_wait, &pool_exec};
  }
};

constexpr std::string_view kSources[] = {"single", "batch"};
constexpr const char* kDriverStates[] = {"active", "delayed", "reserved"};

struct JobsMetrics::PipelineSeries {
  PipelineSeries(Families& f, const std::string& name, std::string driver_name)
      : families(f), driver(std::move(driver_name)) {
    const auto at = [&](Family& fam) { return &fam.at({name, driver}); };
    pushes = at(f.p_pushes);
    push_errors = at(f.p_push_errors);
    acks = at(f.p_acks);
    nacks = at(f.p_nacks);
    requeues = at(f.p_requeues);
    retries = at(f.p_retries);
    dead = at(f.p_dead);
    dropped = at(f.p_dropped);
    queued = at(f.p_queued);
    in_flight = at(f.p_in_flight);
    oldest = at(f.p_oldest);
    consuming = at(f.p_consuming);
    driver_error = at(f.p_driver_error);
    held = at(f.p_held);
    active = &f.p_driver_jobs.at({name, driver, kDriverStates[0]});
    delayed = &f.p_driver_jobs.at({name, driver, kDriverStates[1]});
    reserved = &f.p_driver_jobs.at({name, driver, kDriverStates[2]});
  }

  Families& families;
  std::string driver;
  std::uint64_t seen = 0;
  metrics::Series* pushes;
  metrics::Series* push_errors;
  metrics::Series* acks;
  metrics::Series* nacks;
  metrics::Series* requeues;
  metrics::Series* retries;
  metrics::Series* dead;
  metrics::Series* dropped;
  metrics::Series* queued;
  metrics::Series* in_flight;
  metrics::Series* oldest;
  metrics::Series* consuming;
  metrics::Series* driver_error;
  metrics::Series* held;
  metrics::Series* active;
  metrics::Series* delayed;
  metrics::Series* reserved;
  std::array<metrics::Series*, 2> requests{};  // by PushSource, created at the first push
  std::array<metrics::Series*, 2> latency{};
};

namespace {

/// Removes every series of one pipeline (its PipelineSeries' pointers dangle afterwards).
void drop(const std::string& name, const JobsMetrics::PipelineSeries& s) {
  JobsMetrics::Families& f = s.families;
  for (Family* fam : f.per_pipeline()) (void)fam->remove({name, s.driver});
  for (const char* state : kDriverStates) (void)f.p_driver_jobs.remove({name, s.driver, state});
  for (const auto source : kSources) {
    (void)f.requests.remove({name, s.driver, std::string(source)});
    (void)f.push_latency.remove({name, s.driver, std::string(source)});
  }
}

}  // namespace

JobsMetrics::JobsMetrics(metrics::Registry& registry, jobs::Engine& engine, worker::PoolSet& pools)
    : registry_(registry),
      engine_(engine),
      pools_(pools),
      f_(std::make_unique<Families>(registry)),
      pids_(std::make_shared<Pids>()) {
  // RoadRunner's totals exist from the start (Go's plain counters are exported at 0).
  for (Family* f :
       {&f_->jobs_ok, &f_->jobs_err, &f_->jobs_requeue, &f_->push_ok, &f_->push_err,
        &f_->total_workers, &f_->workers_ready, &f_->workers_working, &f_->workers_invalid}) {
    (void)f->only();
  }
  collector_ = registry_.add_collector([this] { collect(); });
}

JobsMetrics::~JobsMetrics() { registry_.remove_collector(collector_); }

void JobsMetrics::collect() {
  COYOTE_ASSERT_LOOP_THREAD();
  Families& f = *f_;
  const jobs::EngineStats stats = engine_.stats();
  const std::vector<worker::PoolStats> pools = pools_.stats();

  const jobs::Counters& t = stats.totals;
  f.jobs_ok.only().set(static_cast<double>(t.jobs_ok));
  f.jobs_err.only().set(static_cast<double>(t.jobs_err));
  f.jobs_requeue.only().set(static_cast<double>(t.jobs_requeue));
  f.push_ok.only().set(static_cast<double>(t.push_ok));
  f.push_err.only().set(static_cast<double>(t.push_err));
  f.results_kept.only().set(static_cast<double>(stats.results_kept));
  f.results_too_large.only().set(static_cast<double>(stats.results_too_large));
  f.result_waiters.only().set(static_cast<double>(stats.result_waiters));

  // ---- per pipeline -----------------------------------------------------------------------
  ++generation_;
  for (const auto& p : stats.pipelines) {
    auto it = by_pipeline_.find(p.name);
    if (it != by_pipeline_.end() && it->second->driver != p.driver) {
      drop(it->first, *it->second);  // destroyed and declared again with another driver
      by_pipeline_.erase(it);
      it = by_pipeline_.end();
    }
    if (it == by_pipeline_.end()) {
      it =
          by_pipeline_.emplace(p.name, std::make_unique<PipelineSeries>(f, p.name, p.driver)).first;
    }
    PipelineSeries& s = *it->second;
    s.seen = generation_;
    const jobs::Counters& c = p.counters;
    s.pushes->set(static_cast<double>(c.push_ok));
    s.push_errors->set(static_cast<double>(c.push_err));
    s.acks->set(static_cast<double>(c.jobs_ok));
    s.nacks->set(static_cast<double>(c.jobs_err));
    s.requeues->set(static_cast<double>(c.jobs_requeue));
    s.retries->set(static_cast<double>(c.jobs_retried));
    s.dead->set(static_cast<double>(c.jobs_dead));
    s.dropped->set(static_cast<double>(c.jobs_dropped));
    s.queued->set(static_cast<double>(p.queued));
    s.in_flight->set(static_cast<double>(p.in_flight));
    s.oldest->set(p.oldest_queued);
    s.consuming->set(p.state.ready ? 1 : 0);
    s.driver_error->set(p.state.error.empty() ? 0 : 1);
    s.held->set(static_cast<double>(p.held));
    s.active->set(static_cast<double>(p.state.active));
    s.delayed->set(static_cast<double>(p.state.delayed));
    s.reserved->set(static_cast<double>(p.state.reserved));
    for (std::size_t src = 0; src < p.push.size(); ++src) {
      const jobs::PushStats& push = p.push[src];
      if (push.requests == 0) continue;  // as RoadRunner: a series appears with its first push
      if (s.requests[src] == nullptr) {
        s.requests[src] = &f.requests.at({p.name, p.driver, kSources[src]});
        s.latency[src] = &f.push_latency.at({p.name, p.driver, kSources[src]});
      }
      s.requests[src]->set(static_cast<double>(push.requests));
      s.latency[src]->load(push.latency.buckets(), push.latency.count(), push.latency.sum());
    }
  }
  for (auto it = by_pipeline_.begin(); it != by_pipeline_.end();) {
    if (it->second->seen == generation_) {
      ++it;
      continue;
    }
    drop(it->first, *it->second);  // destroyed since the last scrape
    it = by_pipeline_.erase(it);
  }

  // ---- per pool ---------------------------------------------------------------------------
  std::size_t total = 0;
  std::size_t ready = 0;
  std::size_t working = 0;
  std::size_t invalid = 0;
  std::vector<int> pids;
  f.worker_state.clear();
  f.pool_workers.clear();
  std::set<std::string> pools_shown;
  for (const auto& pool : pools) {
    const std::string label = pool_label(pool.name);
    pools_shown.insert(label);
    std::size_t busy = 0;
    std::map<std::string_view, std::size_t> by_state;
    for (const auto& w : pool.workers) {
      ++total;
      const std::string_view state = worker::state_name(w.state);
      ++by_state[state];
      if (w.state == worker::WorkerState::kReady) ++ready;
      if (w.state == worker::WorkerState::kWorking) ++working;
      if (is_invalid(w.state)) ++invalid;
      if (w.busy) ++busy;
      pids.push_back(w.pid);
      f.worker_state.at({state, std::to_string(w.pid)}).set(0);
    }
    for (const auto& [state, n] : by_state) {
      f.pool_workers.at({label, state}).set(static_cast<double>(n));
    }
    f.pool_configured.at({label}).set(static_cast<double>(pool.target));
    f.pool_busy.at({label}).set(static_cast<double>(busy));
    f.pool_busy_ratio.at({label}).set(
        pool.target == 0 ? 0.0 : static_cast<double>(busy) / static_cast<double>(pool.target));
    for (std::size_t c = 0; c < worker::kRestartCauses; ++c) {
      f.pool_restarts.at({label, worker::restart_cause_name(static_cast<worker::RestartCause>(c))})
          .set(static_cast<double>(pool.restarts[c]));
    }
  }
  for (const auto& lane : stats.lanes) {
    const std::string label = pool_label(lane.pool);
    pools_shown.insert(label);
    f.pool_queued.at({label}).set(static_cast<double>(lane.queued));
    f.pool_capacity.at({label}).set(static_cast<double>(lane.capacity));
    f.pool_wait.at({label}).load(lane.wait.buckets(), lane.wait.count(), lane.wait.sum());
    f.pool_exec.at({label}).load(lane.exec.buckets(), lane.exec.count(), lane.exec.sum());
  }
  pools_shown_ = std::move(pools_shown);
  f.total_workers.only().set(static_cast<double>(total));
  f.workers_ready.only().set(static_cast<double>(ready));
  f.workers_working.only().set(static_cast<double>(working));
  f.workers_invalid.only().set(static_cast<double>(invalid));
  {
    std::lock_guard lock(pids_->mu);
    pids_->pids = std::move(pids);
  }

  // ---- dead-letter stores -----------------------------------------------------------------
  std::set<std::string> stores;
  for (const auto& store : stats.dead_stores) {
    stores.insert(store.name);
    f.dead_jobs.at({store.name}).set(static_cast<double>(store.held));
  }
  for (const auto& old : stores_shown_) {
    if (!stores.contains(old)) (void)f.dead_jobs.remove({old});
  }
  stores_shown_ = std::move(stores);
}

metrics::MetricsEndpoint::Source JobsMetrics::memory_source() const {
  return [pids = pids_] {
    std::vector<int> alive;
    {
      std::lock_guard lock(pids->mu);
      alive = pids->pids;
    }
    auto per_worker = std::make_shared<MetricDesc>(
        desc("rr_jobs_worker_memory_bytes", "Worker current memory usage", kGauge, {"pid"}));
    auto sum = std::make_shared<MetricDesc>(
        desc("rr_jobs_workers_memory_bytes", "Memory usage by workers.", kGauge));
    metrics::FamilySnapshot each{per_worker, nullptr, {}, 1};
    auto labels = std::make_shared<std::vector<std::string>>();
    double total = 0;
    for (const int pid : alive) {
      const std::uint64_t rss = rss_of(pid);
      if (rss == 0) continue;  // gone since the collection
      labels->push_back("pid=\"" + std::to_string(pid) + "\"");
      each.values.push_back(static_cast<double>(rss));
      total += static_cast<double>(rss);
    }
    each.labels = std::move(labels);
    std::vector<metrics::FamilySnapshot> out;
    if (!each.values.empty()) out.push_back(std::move(each));
    out.push_back({sum, std::make_shared<std::vector<std::string>>(1), {total}, 1});
    return out;
  };
}

}  // namespace coyote::host::observe
