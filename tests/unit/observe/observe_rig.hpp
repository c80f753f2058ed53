// ObserveRig: a real engine over the memory plugin, a hand-driven executor and an empty worker
// pool set, configured from one .rr.yaml text, for the observability tests.
#pragma once

#include "config/config_document.hpp"
#include "jobs/engine.hpp"
#include "support/memory_plugin.hpp"
#include "unit/jobs/test_executor.hpp"
#include "worker/pool_set.hpp"

#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>

namespace coyote::test {

inline constexpr const char* kObserveYaml = R"(
version: "3"
metrics:
  address: 127.0.0.1:0
status:
  address: 127.0.0.1:0
jobs:
  pool:
    num_workers: 0
  consume: ["p"]
  pipelines:
    p:
      driver: memory
      config:
        prefetch: 100
    out:
      driver: memory
)";

struct ObserveRig {
  explicit ObserveRig(const std::string& yaml = kObserveYaml)
      : cfg(host::config::ConfigDocument::parse(yaml, ".rr.yaml")),
        plugin(cfg),
        pools(io, {host::worker::PoolConfig{.name = "", .num_workers = 0}},
              host::worker::ServerConfig{}) {
    host::jobs::Pools lanes;
    lanes.emplace("", &executor);
    engine = std::make_unique<host::jobs::Engine>(io, cfg, plugin.drivers(), std::move(lanes));
    engine->start();
  }
  sdk::Status push(sdk::Message m) {
    sdk::Status result = sdk::Status::error("done not called");
    engine->push(std::move(m), [&](sdk::Status s) { result = std::move(s); });
    io.poll();
    io.restart();
    return result;
  }
  static sdk::Message job(std::string id, std::string pipeline = "p") {
    sdk::Message m;
    m.id = std::move(id);
    m.name = "t";
    m.payload = "hi";
    m.options.pipeline = std::move(pipeline);
    return m;
  }

  host::config::ConfigDocument cfg;
  MemoryPlugin plugin;
  boost::asio::io_context io;
  TestExecutor executor;
  host::worker::PoolSet pools;
  std::unique_ptr<host::jobs::Engine> engine;
};

}  // namespace coyote::test
