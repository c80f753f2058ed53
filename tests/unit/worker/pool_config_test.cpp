#include "worker/pool_config.hpp"
#include "worker/pool_set.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <thread>

#include "unit/worker/worker_test_support.hpp"

using namespace coyote::host::worker;
using coyote::test::MapConfig;
using namespace std::chrono_literals;

TEST_CASE("pool config takes the spec defaults when keys are absent", "[worker]") {
  const MapConfig config({{"server.command", "php worker.php"}});
  const auto pool = pool_config_from(config, "jobs.pool");
  CHECK(pool.num_workers == std::max(1u, std::thread::hardware_concurrency()));
  CHECK(pool.max_jobs == 0);
  CHECK(pool.allocate_timeout == 60s);
  CHECK(pool.destroy_timeout == 60s);
  CHECK(pool.reset_timeout == 60s);
  CHECK(pool.stop_timeout == 10s);
  CHECK_FALSE(pool.debug);
  CHECK(pool.command.empty());
  CHECK(pool.max_frame_size == 64u * 1024 * 1024);
  CHECK_FALSE(pool.supervisor.enabled);
}

TEST_CASE("pool config reads every pool and supervisor key", "[worker]") {
  const MapConfig config({{"jobs.pool.num_workers", "3"},
                          {"jobs.pool.max_jobs", "7"},
                          {"jobs.pool.allocate_timeout", "2s"},
                          {"jobs.pool.destroy_timeout", "500ms"},
                          {"jobs.pool.reset_timeout", "1m"},
                          {"jobs.pool.command", "python3  w.py --x"},
                          {"jobs.pool.max_frame_size", "1024"},
                          {"jobs.pool.supervisor.watch_tick", "100ms"},
                          {"jobs.pool.supervisor.ttl", "30s"},
                          {"jobs.pool.supervisor.idle_ttl", "10s"},
                          {"jobs.pool.supervisor.exec_ttl", "5s"},
                          {"jobs.pool.supervisor.max_worker_memory", "128"}});
  const auto pool = pool_config_from(config, "jobs.pool");
  CHECK(pool.num_workers == 3);
  CHECK(pool.max_jobs == 7);
  CHECK(pool.allocate_timeout == 2s);
  CHECK(pool.destroy_timeout == 500ms);
  CHECK(pool.reset_timeout == 60s);
  CHECK(pool.command == std::vector<std::string>{"python3", "w.py", "--x"});
  CHECK(pool.max_frame_size == 1024);
  REQUIRE(pool.supervisor.enabled);
  CHECK(pool.supervisor.watch_tick == 100ms);
  CHECK(pool.supervisor.ttl == 30s);
  CHECK(pool.supervisor.idle_ttl == 10s);
  CHECK(pool.supervisor.exec_ttl == 5s);
  CHECK(pool.supervisor.max_worker_memory_mb == 128);
}

TEST_CASE("pool config debug mode means a fresh process per job", "[worker]") {
  const MapConfig config({{"jobs.pool.debug", "true"}, {"jobs.pool.num_workers", "2"}});
  const auto pool = pool_config_from(config, "jobs.pool");
  CHECK(pool.debug);
  CHECK(pool.max_jobs == 1);
}

TEST_CASE("pool config rejects bad values with the key in the message", "[worker]") {
  SECTION("negative worker count") {
    const MapConfig config({{"jobs.pool.num_workers", "-1"}});
    CHECK_THROWS_WITH(pool_config_from(config, "jobs.pool"),
                      Catch::Contains("jobs.pool.num_workers") && Catch::Contains("negative"));
  }
  SECTION("more than 500 workers") {
    const MapConfig config({{"jobs.pool.num_workers", "501"}});
    CHECK_THROWS_WITH(pool_config_from(config, "jobs.pool"), Catch::Contains("500"));
  }
}

TEST_CASE("allocate_timeout 0 means the 60 s default, as in RoadRunner", "[worker]") {
  // Issue 12 item 19: 0 was taken literally and every worker was killed at spawn, for ever.
  const MapConfig config({{"jobs.pool.allocate_timeout", "0s"}});
  CHECK(pool_config_from(config, "jobs.pool").allocate_timeout == 60s);
}

TEST_CASE("named pools are read from jobs.pools with their names", "[worker]") {
  const MapConfig config({{"jobs.pools.fast.num_workers", "2"},
                          {"jobs.pools.slow.num_workers", "1"},
                          {"jobs.pools.slow.command", "php slow.php"}});
  const auto pools = pool_configs_from(config);
  REQUIRE(pools.size() == 2);
  CHECK(pools[0].name == "fast");
  CHECK(pools[0].num_workers == 2);
  CHECK(pools[1].name == "slow");
  CHECK(pools[1].command == std::vector<std::string>{"php", "slow.php"});
}

TEST_CASE("server config splits the command", "[worker]") {
  SECTION("string command") {
    const MapConfig config({{"server.command", "php  -d x=1 worker.php"},
                            {"server.env.app_env", "dev"},
                            {"rpc.listen", "tcp://127.0.0.1:6001"}});
    const auto s = server_config_from(config);
    CHECK(s.command == std::vector<std::string>{"php", "-d", "x=1", "worker.php"});
    CHECK(s.rpc_listen == "tcp://127.0.0.1:6001");
    REQUIRE(s.env.size() == 1);
    CHECK(s.env[0].first == "app_env");
  }
  SECTION("no command: every pool has its own (the schema requires one or the other)") {
    const MapConfig config({{"server.relay", "pipes"}});
    CHECK(server_config_from(config).command.empty());
  }
}

TEST_CASE("worker environment follows the spec order and expansion rules", "[worker]") {
  ServerConfig s;
  s.command = {"x"};
  s.rpc_listen = "tcp://127.0.0.1:6001";
  s.version = "2025.1.15";
  s.env = {{"app_key", "${SECRET}-$SECRET-$NOPE!"}, {"RR_MODE", "overridden"}};
  const std::vector<std::string> host{"PATH=/bin", "SECRET=abc", "RR_RELAY=tcp://x"};
  const auto env = build_environment(s, host);
  auto value = [&](const std::string& key) -> std::string {
    for (const auto& kv : env) {
      if (kv.rfind(key + "=", 0) == 0) return kv.substr(key.size() + 1);
    }
    return "<absent>";
  };
  CHECK(value("PATH") == "/bin");
  CHECK(value("RR_RELAY") == "pipes");
  CHECK(value("RR_RPC") == "tcp://127.0.0.1:6001");
  CHECK(value("APP_KEY") == "abc-abc-!");
  CHECK(value("RR_VERSION") == "2025.1.15");
  CHECK(value("RR_MODE") == "jobs");

  s.rpc_listen.clear();
  const auto without_rpc = build_environment(s, host);
  CHECK(std::none_of(without_rpc.begin(), without_rpc.end(),
                     [](const std::string& kv) { return kv.rfind("RR_RPC=", 0) == 0; }));
}
