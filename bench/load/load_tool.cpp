// coyote-bench-load: drives a running `coyote serve` over RPC for the benchmark stages.
// Every mode prints exactly one JSON object on stdout; run.sh collects them. Every loop is bounded
// by a count and a deadline so a broken host fails the stage instead of hanging the harness.
#include "rpc/jobs_codec.hpp"
#include "rpc/request.hpp"
#include "rpc/rpc_client.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using coyote::host::rpc::Codec;
namespace rpc = coyote::host::rpc;
namespace sdk = coyote::sdk;
using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& why);

// The host's own client: blocking calls bounded by socket timeouts, the way PHP's spiral/goridge
// talks to the server (write the request, block on the reply).
using rpc::RpcClient;

struct Args {
  std::string mode;
  std::string address = "tcp://127.0.0.1:16001";
  std::string pipeline = "bench";
  std::size_t jobs = 100000;
  std::size_t batch = 1000;
  std::size_t payload_size = 100;
  std::size_t producers = 1;  ///< push: concurrent connections, each pushing jobs / producers
  double rate = 5000;
  int pid = 0;
  int timeout_s = 300;
  std::string lat_dir;
  std::string label;
  std::string stage;  ///< overrides the printed stage name (the same mode, another driver)
  int poll_ms = 2;    ///< jobs.Stat interval while waiting for a drain
};

[[noreturn]] void die(const std::string& why) {
  std::cerr << "coyote-bench-load: " << why << '\n';
  std::exit(1);
}

Args parse(int argc, char** argv) {
  Args a;
  if (argc < 2)
    die("usage: coyote-bench-load push|drain|resume|concurrent|latency|memory [--key value]...");
  a.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::string v = argv[i + 1];
    if (k == "--address")
      a.address = v;
    else if (k == "--pipeline")
      a.pipeline = v;
    else if (k == "--jobs")
      a.jobs = std::stoul(v);
    else if (k == "--batch")
      a.batch = std::max<std::size_t>(1, std::stoul(v));
    else if (k == "--producers")
      a.producers = std::max<std::size_t>(1, std::stoul(v));
    else if (k == "--payload")
      a.payload_size = std::stoul(v);
    else if (k == "--rate")
      a.rate = std::stod(v);
    else if (k == "--pid")
      a.pid = std::stoi(v);
    else if (k == "--timeout")
      a.timeout_s = std::stoi(v);
    else if (k == "--lat-dir")
      a.lat_dir = v;
    else if (k == "--label")
      a.label = v;
    else if (k == "--poll-ms")
      a.poll_ms = std::stoi(v);
    else if (k == "--stage")
      a.stage = v;
    else
      die("unknown option " + k);
  }
  return a;
}

std::int64_t realtime_us() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

sdk::Message make_job(const Args& a, std::size_t i) {
  sdk::Message m;
  m.name = "App\\Job\\Noop";
  char id[40];
  std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012zu", i);
  m.id = id;
  m.payload = "{\"n\":" + std::to_string(i) + ",\"pad\":\"";
  const std::size_t tail = 2;
  if (m.payload.size() + tail < a.payload_size)
    m.payload.append(a.payload_size - m.payload.size() - tail, 'x');
  m.payload += "\"}";
  m.options.pipeline = a.pipeline;
  return m;
}

std::string call(RpcClient& c, std::string_view method, const std::string& body) {
  auto r = c.call(method, Codec::kProto, body);
  if (r.error) die(std::string(method) + " failed: " + r.body);
  return r.body;
}

void push_batch(RpcClient& c, const std::vector<sdk::Message>& batch) {
  if (batch.size() == 1) {
    (void)call(c, "jobs.Push", rpc::encode_push_request(Codec::kProto, batch.front()));
  } else {
    (void)call(c, "jobs.PushBatch", rpc::encode_push_batch_request(Codec::kProto, batch));
  }
}

/// Pushes jobs [first, end) in batches; returns the elapsed seconds.
double push_range(RpcClient& c, const Args& a, std::size_t first, std::size_t end) {
  std::vector<sdk::Message> batch;
  batch.reserve(a.batch);
  const auto t0 = Clock::now();
  for (std::size_t i = first; i < end; ++i) {
    batch.push_back(make_job(a, i));
    if (batch.size() == a.batch || i + 1 == end) {
      push_batch(c, batch);
      batch.clear();
    }
    if ((i & 1023) == 0 && seconds_since(t0) > a.timeout_s) die("push timed out");
  }
  return seconds_since(t0);
}

/// Pushes jobs [0, n) in batches; returns the elapsed seconds.
double push_all(RpcClient& c, const Args& a) { return push_range(c, a, 0, a.jobs); }

/// `a.producers` connections push their share of [0, n) at once, as concurrent producers do
/// (a durable driver's group commit batches across them); returns the elapsed seconds.
double push_concurrently(const Args& a) {
  std::vector<std::thread> threads;
  const std::size_t share = (a.jobs + a.producers - 1) / a.producers;
  const auto t0 = Clock::now();
  for (std::size_t p = 0; p < a.producers; ++p) {
    const std::size_t first = std::min(a.jobs, p * share);
    const std::size_t end = std::min(a.jobs, first + share);
    threads.emplace_back([&a, first, end] {
      RpcClient c(a.address, std::chrono::seconds(a.timeout_s));
      (void)push_range(c, a, first, end);
    });
  }
  for (auto& t : threads) t.join();
  return seconds_since(t0);
}

sdk::State stat(RpcClient& c, const std::string& pipeline) {
  std::vector<sdk::State> states;
  const std::string body = call(c, "jobs.Stat", rpc::encode_empty(Codec::kProto));
  if (auto s = rpc::decode_stats(Codec::kProto, body, states); !s) die("jobs.Stat: " + s.message());
  for (auto& st : states) {
    if (st.pipeline == pipeline) return st;
  }
  die("no pipeline named " + pipeline + " in jobs.Stat");
}

/// Polls jobs.Stat until the memory pipeline has nothing in flight and nothing buffered (a running
/// memory pipeline refills in-flight from its buffer on every ack, so active==0 means drained).
/// A durable pipeline reports its jobs at workers as reserved (memory: always 0): wait for both.
void wait_drained(RpcClient& c, const Args& a, Clock::time_point t0) {
  const auto busy = [](const sdk::State& s) { return s.active != 0 || s.reserved != 0; };
  while (busy(stat(c, a.pipeline))) {
    if (seconds_since(t0) > a.timeout_s) die("pipeline " + a.pipeline + " did not drain in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(a.poll_ms));
  }
}

void print_rate(const Args& a, const char* stage, double secs, const std::string& extra = "") {
  std::printf(
      "{\"stage\":\"%s\",\"label\":\"%s\",\"jobs\":%zu,\"seconds\":%.6f,\"jobs_per_s\":%.1f%s}\n",
      a.stage.empty() ? stage : a.stage.c_str(), a.label.c_str(), a.jobs, secs,
      secs > 0 ? static_cast<double>(a.jobs) / secs : 0.0, extra.c_str());
}

/// CPU time a process has used, in microseconds (/proc/PID/stat fields 14 and 15).
struct CpuTime {
  double user = 0;
  double sys = 0;
};

/// nullopt when the process cannot be read.
std::optional<CpuTime> cpu_of(int pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string f;
  CpuTime t;
  const double us_per_tick = 1e6 / static_cast<double>(::sysconf(_SC_CLK_TCK));
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) t.user = std::stod(f) * us_per_tick;
    if (i == 15) t.sys = std::stod(f) * us_per_tick;
  }
  return t;
}

long rss_kb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  die("cannot read VmRSS of pid " + std::to_string(pid));
}

int run_latency(RpcClient& c, const Args& a) {
  if (a.lat_dir.empty())
    die("latency needs --lat-dir (where the bench worker writes receive times)");
  std::vector<std::int64_t> pushed(a.jobs, 0);
  const auto t0 = Clock::now();
  const auto period = std::chrono::duration<double>(1.0 / a.rate);
  for (std::size_t i = 0; i < a.jobs; ++i) {
    const auto due =
        t0 + std::chrono::duration_cast<Clock::duration>(period * static_cast<double>(i));
    std::this_thread::sleep_until(due);
    std::vector<sdk::Message> one{make_job(a, i)};
    pushed[i] = realtime_us();
    push_batch(c, one);
    if (seconds_since(t0) > a.timeout_s) die("latency push timed out");
  }
  const double push_secs = seconds_since(t0);
  wait_drained(c, a, t0);
  // Workers flush one line per job ("<index> <receive time us>") to <lat-dir>/<pid>.txt.
  std::vector<double> lat_ms;
  lat_ms.reserve(a.jobs);
  for (const auto& e : std::filesystem::directory_iterator(a.lat_dir)) {
    std::ifstream in(e.path());
    std::size_t idx = 0;
    std::int64_t us = 0;
    while (in >> idx >> us) {
      if (idx < pushed.size() && pushed[idx] != 0)
        lat_ms.push_back(static_cast<double>(us - pushed[idx]) / 1000.0);
    }
  }
  if (lat_ms.size() < a.jobs)
    die("only " + std::to_string(lat_ms.size()) + " receive times recorded");
  std::sort(lat_ms.begin(), lat_ms.end());
  const auto pct = [&](double p) {
    return lat_ms[std::min(lat_ms.size() - 1, static_cast<std::size_t>(p * lat_ms.size()))];
  };
  std::printf(
      "{\"stage\":\"latency\",\"label\":\"%s\",\"jobs\":%zu,\"rate\":%.0f,\"achieved_rate\":%.1f,"
      "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}\n",
      a.label.c_str(), a.jobs, a.rate, static_cast<double>(a.jobs) / push_secs, pct(0.5), pct(0.99),
      lat_ms.back());
  return 0;
}

int run(const Args& a) {
  RpcClient c(a.address, std::chrono::seconds(a.timeout_s));
  if (a.mode == "push") {
    // Pushes into a paused pipeline: measures the RPC path alone (and the driver's commit).
    const double secs = a.producers > 1 ? push_concurrently(a) : push_all(c, a);
    print_rate(
        a, a.batch == 1 ? "push_single" : "push_batch", secs,
        ",\"batch\":" + std::to_string(a.batch) + ",\"producers\":" + std::to_string(a.producers));
    return 0;
  }
  if (a.mode == "drain") {
    // Queue everything in a paused pipeline, then time resume -> empty.
    (void)push_all(c, a);
    const auto cpu0 = cpu_of(a.pid);
    const auto t0 = Clock::now();
    (void)call(c, "jobs.Resume", rpc::encode_pipelines(Codec::kProto, {a.pipeline}));
    wait_drained(c, a, t0);
    const double secs = seconds_since(t0);
    char extra[160] = "";
    if (const auto cpu1 = cpu_of(a.pid); cpu0 && cpu1) {
      // User time is the host's own code; system time is mostly the kernel waking workers, which
      // moves with the machine's state far more than with anything Coyote does.
      const double n = static_cast<double>(a.jobs);
      const double user = (cpu1->user - cpu0->user) / n;
      const double sys = (cpu1->sys - cpu0->sys) / n;
      std::snprintf(extra, sizeof extra,
                    ",\"host_cpu_us_per_job\":%.2f,\"host_user_us_per_job\":%.2f,"
                    "\"host_sys_us_per_job\":%.2f",
                    user + sys, user, sys);
    }
    print_rate(a, "drain", secs, extra);
    return 0;
  }
  if (a.mode == "resume") {
    // Drain what an earlier push queued: resume -> empty, nothing pushed. Under callgrind the
    // stage polls rarely (--poll-ms) so jobs.Stat adds next to nothing to the host's count.
    const auto t0 = Clock::now();
    (void)call(c, "jobs.Resume", rpc::encode_pipelines(Codec::kProto, {a.pipeline}));
    wait_drained(c, a, t0);
    print_rate(a, "resume", seconds_since(t0));
    return 0;
  }
  if (a.mode == "concurrent") {
    // Push into a consuming pipeline while workers drain it; time first push -> empty.
    RpcClient poller(a.address, std::chrono::seconds(a.timeout_s));
    const auto t0 = Clock::now();
    const double push_secs = push_all(c, a);
    wait_drained(poller, a, t0);
    char extra[64];
    std::snprintf(extra, sizeof extra, ",\"push_seconds\":%.6f", push_secs);
    print_rate(a, "concurrent", seconds_since(t0), extra);
    return 0;
  }
  if (a.mode == "latency") return run_latency(c, a);
  if (a.mode == "ping") {
    // The floor under a sequential Push: the same round trip with the cheapest method.
    const std::string empty = rpc::encode_empty(Codec::kProto);
    const auto t0 = Clock::now();
    for (std::size_t i = 0; i < a.jobs; ++i) (void)call(c, "jobs.List", empty);
    print_rate(a, "rpc_floor", seconds_since(t0));
    return 0;
  }
  if (a.mode == "memory") {
    if (a.pid <= 0) die("memory needs --pid of the coyote process");
    const long before = rss_kb(a.pid);
    (void)push_all(c, a);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the allocator settle
    const long after = rss_kb(a.pid);
    const double per_job =
        (static_cast<double>(after - before) * 1024.0) / static_cast<double>(a.jobs);
    std::printf(
        "{\"stage\":\"memory\",\"label\":\"%s\",\"jobs\":%zu,\"payload_bytes\":%zu,\"rss_before_"
        "kb\":%ld,"
        "\"rss_after_kb\":%ld,\"bytes_per_job\":%.1f,\"overhead_bytes_per_job\":%.1f}\n",
        a.label.c_str(), a.jobs, a.payload_size, before, after, per_job,
        per_job - static_cast<double>(a.payload_size));
    return 0;
  }
  die("unknown mode " + a.mode);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    die(e.what());
  }
}
