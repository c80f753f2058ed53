// One source of truth per config key: every key a parser reads is declared in a key table, and
// config/reference.md shows every declared key as its table declares it.
#include "cli/options.hpp"
#include "cli/rr_schema.hpp"
#include "config/reference_table.hpp"
#include "jobs/engine.hpp"
#include "log/log.hpp"
#include "plugin/plugin_discovery.hpp"
#include "rpc/rpc_server.hpp"
#include "support/memory_plugin.hpp"
#include "support/temp_dir.hpp"
#include "unit/jobs/test_executor.hpp"
#include "worker/init_command.hpp"
#include "worker/pool_config.hpp"
#include "worker/pool_set.hpp"

#include <catch2/catch.hpp>

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace config = coyote::host::config;
namespace cli = coyote::host::cli;
namespace jobs = coyote::host::jobs;
namespace worker = coyote::host::worker;

namespace {

/// The real ConfigDocument, remembering every path a parser asked it about.
class RecordingConfig final : public coyote::sdk::Config {
 public:
  explicit RecordingConfig(const config::ConfigDocument& doc) : doc_(doc) {}

  [[nodiscard]] bool has(std::string_view path) const override {
    return note(path), doc_.has(path);
  }
  [[nodiscard]] std::optional<std::string> string(std::string_view path) const override {
    return note(path), doc_.string(path);
  }
  [[nodiscard]] std::optional<std::int64_t> integer(std::string_view path) const override {
    return note(path), doc_.integer(path);
  }
  [[nodiscard]] std::optional<double> number(std::string_view path) const override {
    return note(path), doc_.number(path);
  }
  [[nodiscard]] std::optional<bool> boolean(std::string_view path) const override {
    return note(path), doc_.boolean(path);
  }
  [[nodiscard]] std::optional<std::chrono::milliseconds> duration(
      std::string_view path) const override {
    return note(path), doc_.duration(path);
  }
  [[nodiscard]] std::optional<std::vector<std::string>> strings(
      std::string_view path) const override {
    return note(path), doc_.strings(path);
  }
  [[nodiscard]] std::optional<std::string> text(std::string_view path) const override {
    return note(path), doc_.text(path);
  }
  [[nodiscard]] std::vector<std::string> keys(std::string_view path) const override {
    return note(path), doc_.keys(path);
  }
  [[nodiscard]] coyote::sdk::ConfigError error_at(std::string_view path,
                                                  const std::string& problem) const override {
    return doc_.error_at(path, problem);
  }

  [[nodiscard]] const std::set<std::string>& read() const { return read_; }

 private:
  void note(std::string_view path) const { read_.emplace(path); }

  const config::ConfigDocument& doc_;
  mutable std::set<std::string> read_;
};

std::string source_dir() {
  const char* dir = std::getenv("COYOTE_SOURCE_DIR");
  return dir != nullptr ? dir : COYOTE_TEST_SOURCE_DIR;
}

// Every key Coyote declares, set once (the pools variant below covers jobs.pools).
constexpr const char* kEveryKey = R"(version: "3"
rpc:
  listen: tcp://127.0.0.1:6001
  max_connections: 100
  idle_timeout: 1m
server:
  command: [php, worker.php]
  relay: pipes
  env: {APP_ENV: prod}
  user: @USER@
  group: @GROUP@
  on_init: {command: php init.php, exec_timeout: 20s, env: {A: b}, user: @USER@, exit_on_error: true}
  relay_timeout: 60s
logs:
  mode: production
  level: info
  encoding: json
  output: stderr
  err_output: stderr
  file_logger_options: {log_output: @LOG@, max_size: 10, max_age: 2, max_backups: 3, compress: false}
  channels:
    jobs: {mode: development, level: debug, encoding: console, output: stderr, err_output: stderr,
           file_logger_options: {log_output: @LOG@, max_size: 10, max_age: 2, max_backups: 3,
                                 compress: false}}
jobs:
  num_pollers: 4
  pipeline_size: 100000
  timeout: 60s
  options: {parallelism: 4}
  consume: [a]
  drain_timeout: 5s
  pool:
    command: php other.php
    num_workers: 2
    max_jobs: 100
    max_queue_size: 0
    allocate_timeout: 60s
    destroy_timeout: 1m
    reset_timeout: 60s
    stream_timeout: 60s
    stop_timeout: 3s
    debug: false
    max_frame_size: 1048576
    supervisor: {watch_tick: 1s, ttl: 10s, idle_ttl: 10s, max_worker_memory: 128, exec_ttl: 30s}
    dynamic_allocator: {max_workers: 10, spawn_rate: 5, idle_timeout: 1m}
  pipelines:
    a:
      driver: memory
      priority: 10
      pool: ""
      config: {prefetch: 10}
      retry: {max_attempts: 3, backoff: linear, initial: 1s, max: 1m, jitter: 0.2}
      dead_letter: dlq
coyote:
  plugins: []
)";

constexpr const char* kNamedPools = R"(version: "3"
server: {command: php worker.php}
jobs:
  pools:
    fast:
      command: php fast.php
      num_workers: 1
      max_jobs: 10
      max_queue_size: 0
      allocate_timeout: 5s
      destroy_timeout: 5s
      reset_timeout: 5s
      stream_timeout: 5s
      stop_timeout: 1s
      debug: false
      max_frame_size: 1024
      supervisor: {watch_tick: 1s, ttl: 10s, idle_ttl: 10s, max_worker_memory: 64, exec_ttl: 5s}
      dynamic_allocator: {max_workers: 1, spawn_rate: 1, idle_timeout: 1m}
  pipelines:
    b: {driver: memory, pool: fast}
)";

std::string with_log_path(std::string yaml, const std::string& path) {
  // server.user/group are looked up at parse: the user running the test always exists, and
  // needs no privilege to "switch" to itself.
  const struct passwd* user = ::getpwuid(::geteuid());
  const struct group* group = ::getgrgid(::getegid());
  const std::pair<std::string, std::string> replacements[] = {
      {"@LOG@", path},
      {"@USER@", user != nullptr ? user->pw_name : "root"},
      {"@GROUP@", group != nullptr ? group->gr_name : "root"}};
  for (const auto& [from, to] : replacements) {
    for (auto at = yaml.find(from); at != std::string::npos; at = yaml.find(from)) {
      yaml.replace(at, from.size(), to);
    }
  }
  return yaml;
}

/// Runs every parser that reads .rr.yaml over `yaml` and returns the paths they asked about.
std::set<std::string> paths_read_from(const std::string& yaml) {
  const auto doc = config::ConfigDocument::parse(yaml, "keys.yaml");
  std::string errors;
  for (const auto& d : cli::validate(doc)) {
    if (d.is_error()) errors += d.to_string() + "\n";
  }
  INFO(errors);
  REQUIRE(errors.empty());  // the sample itself uses declared keys only (two are deprecated)

  RecordingConfig config(doc);
  (void)cli::rpc_listen(config);
  const auto server = worker::server_config_from(config);
  (void)worker::init_command_from(config, server);
  coyote::host::rpc::RpcServerOptions rpc_options;
  cli::read_rpc_limits(config, rpc_options);
  const auto pools = worker::pool_configs_from(config);
  (void)coyote::host::plugin::default_plugin_search(config, "/");
  coyote::host::log::configure(config);
  coyote::host::log::reset();
  {
    coyote::test::MemoryPlugin plugin(config);
    boost::asio::io_context io;
    std::vector<std::unique_ptr<coyote::test::TestExecutor>> executors;
    jobs::Pools by_name;
    for (const auto& pool : pools) {
      executors.push_back(std::make_unique<coyote::test::TestExecutor>());
      by_name.emplace(pool.name, executors.back().get());
    }
    jobs::Engine engine(io, config, plugin.drivers(), by_name);
    engine.start();
  }
  return config.read();
}

}  // namespace

TEST_CASE("every config key a parser reads is declared in a key table", "[config][cli]") {
  coyote::test::TempDir dir;
  const config::Spec& root = *cli::rr_schema().root;
  for (const char* yaml : {kEveryKey, kNamedPools}) {
    for (const auto& path : paths_read_from(with_log_path(yaml, dir.file("coyote.log")))) {
      INFO("read by a parser, declared by no table: " << path);
      CHECK(config::find_key(root, path) != nullptr);
    }
  }
}

TEST_CASE("jobs.pool.stop_timeout is declared, so serve accepts what the pool reads",
          "[config][cli]") {
  // Regression: pool_config_from read it and the header documented it, but the schema's pool
  // table did not list it, so `coyote serve` refused it as an unknown key.
  const auto doc = config::ConfigDocument::parse(
      "version: \"3\"\nserver: {command: php w.php}\njobs:\n  pool: {stop_timeout: 3s}\n",
      ".rr.yaml");
  CHECK(cli::validate(doc).empty());
  CHECK(worker::pool_config_from(doc, "jobs.pool").stop_timeout == std::chrono::seconds{3});
}

TEST_CASE("find_key follows sections, named maps and lists, and stops at driver options",
          "[config][cli]") {
  const config::Spec& root = *cli::rr_schema().root;
  CHECK(config::find_key(root, "jobs.pools.anything.supervisor.ttl") != nullptr);
  CHECK(config::find_key(root, "jobs.pipelines.p.config.whatever.deep") != nullptr);
  CHECK(config::find_key(root, "server.env.APP_KEY") != nullptr);
  CHECK(config::find_key(root, "jobs.consume.0") != nullptr);
  CHECK(config::find_key(root, "jobs") != nullptr);
  CHECK(config::find_key(root, "jobs.pool.stop_timeot") == nullptr);
  CHECK(config::find_key(root, "rpc.listen.port") == nullptr);
  CHECK(config::find_key(root, "http.address") == nullptr);
}

TEST_CASE("config/reference.md shows every declared key with its default, as declared",
          "[config][cli]") {
  const std::filesystem::path file = std::filesystem::path(source_dir()) / "config/reference.md";
  std::ifstream in(file);
  REQUIRE(in);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string page = buffer.str();
  const std::string original = page;
  for (const auto& table : cli::reference_tables()) {
    const std::string open = "<!-- keys " + std::string(table.name) + " -->\n";
    const std::string close = "<!-- /keys -->";
    const auto begin = page.find(open);
    INFO("config/reference.md needs a block " << open << "..." << close);
    REQUIRE(begin != std::string::npos);
    const auto body = begin + open.size();
    const auto end = page.find(close, body);
    REQUIRE(end != std::string::npos);
    page.replace(body, end - body, config::render_key_table(*table.section, table.prefix));
  }
  if (page != original && std::getenv("COYOTE_UPDATE_REFERENCE") != nullptr) {
    std::ofstream(file) << page;
    WARN("rewrote " << file.string() << " from the key tables");
    return;
  }
  INFO(
      "config/reference.md differs from the key tables; regenerate it with "
      "COYOTE_UPDATE_REFERENCE=1 build/tests/test_cli \"config/reference.md*\"");
  CHECK(page == original);
}
