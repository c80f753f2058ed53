// Micro-benchmarks (Google Benchmark): the goridge frame codec, the priority queue and the
// dispatcher's queue -> executor -> response path with an in-process executor (no processes).
#include "goridge/frame.hpp"
#include "jobs/counters.hpp"
#include "jobs/dispatcher.hpp"
#include "jobs/priority_queue.hpp"
#include "jobs/response_handler.hpp"
#include "log/log.hpp"

#include <benchmark/benchmark.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace goridge = coyote::host::goridge;
namespace jobs = coyote::host::jobs;
namespace worker = coyote::host::worker;
namespace sdk = coyote::sdk;

std::size_t g_acked = 0;

class BenchJob final : public sdk::Job {
 public:
  BenchJob(std::size_t i, std::int64_t priority) : sdk::Job(make(i, priority)) {}
  [[nodiscard]] std::string_view driver_name() const override { return "memory"; }
  sdk::Status ack() override {
    ++g_acked;
    return sdk::Status::ok();
  }
  sdk::Status nack() override { return sdk::Status::ok(); }
  sdk::Status nack_with_options(bool, std::chrono::seconds) override { return sdk::Status::ok(); }
  sdk::Status requeue(const sdk::Headers&, std::chrono::seconds) override {
    return sdk::Status::ok();
  }

 private:
  static sdk::Message make(std::size_t i, std::int64_t priority) {
    sdk::Message m;
    m.name = "App\\Job\\Noop";
    m.id = "00000000-0000-4000-8000-" + std::to_string(100000000000 + i);
    m.payload = std::string(100, 'x');
    m.options.pipeline = "bench";
    m.options.priority = priority;
    return m;
  }
};

/// Acks every job on the next loop turn, like a worker that answers instantly; `slots` workers.
class InstantExecutor final : public worker::JobExecutor {
 public:
  InstantExecutor(boost::asio::io_context& io, std::size_t slots) : io_(io), ready_(slots) {}
  bool try_exec(std::string_view context, std::string_view body, Done done) override {
    if (ready_ == 0) return false;
    --ready_;
    benchmark::DoNotOptimize(context.data());
    benchmark::DoNotOptimize(body.data());
    boost::asio::post(io_, [this, done = std::move(done)] {
      worker::ExecOutcome out;
      out.body = R"({"type":2,"data":[]})";
      done(std::move(out));
      ++ready_;
      if (on_ready_) on_ready_();
    });
    return true;
  }
  void on_worker_ready(std::function<void()> callback) override { on_ready_ = std::move(callback); }
  [[nodiscard]] std::size_t ready_count() const override { return ready_; }

 private:
  boost::asio::io_context& io_;
  std::size_t ready_;
  std::function<void()> on_ready_;
};

void BM_FrameEncode(benchmark::State& state) {
  const std::string payload(static_cast<std::size_t>(state.range(0)), 'x');
  const std::uint32_t opts[1] = {80};
  for (auto _ : state) {
    auto f = goridge::encode_frame(goridge::flag::kCodecRaw, opts, payload);
    benchmark::DoNotOptimize(f);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FrameEncode)->Arg(180)->Arg(4096);

void BM_FrameParseHeader(benchmark::State& state) {
  const std::uint32_t opts[1] = {80};
  const std::string frame =
      goridge::encode_frame(goridge::flag::kCodecRaw, opts, std::string(180, 'x'));
  const auto* data = reinterpret_cast<const std::uint8_t*>(frame.data());
  for (auto _ : state) {
    auto r = goridge::parse_header({data, frame.size()}, 1u << 24);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FrameParseHeader);

void BM_PriorityQueueInsertTake(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  boost::asio::io_context io;
  jobs::PriorityQueue queue(io, n);
  std::vector<std::unique_ptr<sdk::Job>> pool;
  for (std::size_t i = 0; i < n; ++i)
    pool.push_back(std::make_unique<BenchJob>(i, static_cast<std::int64_t>(i % 7)));
  for (auto _ : state) {
    for (auto& j : pool) {
      if (!queue.try_insert(j)) state.SkipWithError("queue full");
    }
    for (std::size_t i = 0; i < n; ++i) {
      auto taken = queue.take();
      if (!taken) {
        state.SkipWithError("queue empty");
        break;
      }
      pool[i] = std::move(taken->job);
    }
    io.restart();
    io.poll();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(BM_PriorityQueueInsertTake)->Arg(1000)->Arg(100000);

void BM_Dispatch(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  boost::asio::io_context io;
  jobs::PriorityQueue queue(io, batch);
  InstantExecutor executor(io, 4);
  jobs::Counters counters;
  jobs::ResponseHandler responses(counters, coyote::host::log::get("jobs"));
  jobs::Dispatcher dispatcher(queue, executor, responses);
  dispatcher.start();
  std::size_t next = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<std::unique_ptr<sdk::Job>> fresh;
    for (std::size_t i = 0; i < batch; ++i) fresh.push_back(std::make_unique<BenchJob>(next++, 0));
    g_acked = 0;
    state.ResumeTiming();
    for (auto& j : fresh) {
      if (!queue.try_insert(j)) state.SkipWithError("queue full");
    }
    io.restart();
    for (std::size_t turns = 0; g_acked < batch && turns < 100 * batch; ++turns) io.run_one();
    if (g_acked != batch) state.SkipWithError("not every job was acked");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}
BENCHMARK(BM_Dispatch)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
