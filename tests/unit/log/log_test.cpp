#include "log/log.hpp"
#include "config/config_document.hpp"
#include "log/escaped_message.hpp"
#include "log/sdk_logger.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace hlog = coyote::host::log;
using Catch::Matchers::Contains;
using coyote::host::config::ConfigDocument;

namespace {

// A fresh directory per test case, removed (and logging reset) when the test ends.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           ("coyote-log-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    hlog::reset();
    std::filesystem::remove_all(path);
  }
  [[nodiscard]] std::string file(const std::string& name) const { return (path / name).string(); }
};

std::string read(const std::string& file) {
  std::ifstream in(file);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void configure(const std::string& logs_yaml) {
  hlog::configure(ConfigDocument::parse("version: \"3\"\n" + logs_yaml, ".rr.yaml"));
}

}  // namespace

TEST_CASE("production mode writes JSON lines with level, logger and message", "[log]") {
  TempDir dir;
  configure("logs:\n  mode: production\n  output: " + dir.file("out.log") + "\n");
  hlog::get("jobs")->info("pipeline \"a\" started");
  const auto text = read(dir.file("out.log"));
  CHECK_THAT(text, Contains(R"({"level":"info","ts":)"));
  CHECK_THAT(text, Contains(R"("logger":"jobs","msg":"pipeline \"a\" started"})"));
  CHECK(text.back() == '\n');
}

TEST_CASE("the level drops messages below it", "[log]") {
  TempDir dir;
  configure("logs:\n  mode: production\n  level: warn\n  output: " + dir.file("out.log") + "\n");
  auto logger = hlog::get("rpc");
  logger->info("quiet info");
  logger->warn("loud warning");
  const auto text = read(dir.file("out.log"));
  CHECK_THAT(text, !Contains("quiet info"));
  CHECK_THAT(text, Contains("loud warning"));
}

TEST_CASE("production defaults to info and development to debug", "[log]") {
  TempDir dir;
  SECTION("production") {
    configure("logs:\n  mode: production\n  output: " + dir.file("p.log") + "\n");
    hlog::get("x")->debug("debug line");
    hlog::get("x")->info("info line");
    CHECK_THAT(read(dir.file("p.log")), !Contains("debug line"));
    CHECK_THAT(read(dir.file("p.log")), Contains("info line"));
  }
  SECTION("development") {
    configure("logs:\n  mode: development\n  output: " + dir.file("d.log") + "\n");
    hlog::get("x")->debug("debug line");
    const auto text = read(dir.file("d.log"));
    CHECK_THAT(text, Contains("debug line"));
    CHECK_THAT(text, Contains("\tx\t"));  // console lines carry the logger name
    CHECK(text.front() != '{');
  }
}

TEST_CASE("raw mode writes the message only", "[log]") {
  TempDir dir;
  configure("logs:\n  mode: raw\n  output: " + dir.file("raw.log") + "\n");
  hlog::get("server")->info("exactly this");
  CHECK(read(dir.file("raw.log")) == "exactly this\n");
}

TEST_CASE("encoding json overrides the mode's console encoding", "[log]") {
  TempDir dir;
  configure("logs:\n  mode: development\n  encoding: json\n  output: " + dir.file("j.log") + "\n");
  hlog::get("jobs")->debug("hello");
  CHECK_THAT(read(dir.file("j.log")), Contains(R"("level":"debug")"));
}

TEST_CASE("loggers created before configure follow the new sinks and level", "[log]") {
  TempDir dir;
  auto early = hlog::get("early");
  early->debug("before configure");
  configure("logs:\n  mode: production\n  level: debug\n  output: " + dir.file("out.log") + "\n");
  early->debug("after configure");
  const auto text = read(dir.file("out.log"));
  CHECK_THAT(text, Contains("after configure"));
  CHECK_THAT(text, !Contains("before configure"));
  CHECK(hlog::get("early") == early);
}

TEST_CASE("channels override the level and output of one logger", "[log]") {
  TempDir dir;
  configure("logs:\n  mode: production\n  level: error\n  output: " + dir.file("main.log") +
            "\n  channels:\n    jobs:\n      level: debug\n    plugin:\n      output: " +
            dir.file("plugins.log") + "\n      level: info\n");
  hlog::get("jobs")->debug("jobs debug");
  hlog::get("rpc")->debug("rpc debug");
  hlog::get("rpc")->error("rpc error");
  hlog::get("plugin.memory")->info("memory info");
  const auto main_log = read(dir.file("main.log"));
  CHECK_THAT(main_log, Contains("jobs debug"));
  CHECK_THAT(main_log, !Contains("rpc debug"));
  CHECK_THAT(main_log, Contains("rpc error"));
  CHECK_THAT(main_log, !Contains("memory info"));
  CHECK_THAT(read(dir.file("plugins.log")),
             Contains(R"("logger":"plugin.memory","msg":"memory info")"));
}

TEST_CASE("file_logger_options.log_output writes to a rotating file", "[log]") {
  TempDir dir;
  configure("logs:\n  mode: production\n  file_logger_options:\n    log_output: " +
            dir.file("rot.log") + "\n    max_size: 1\n    max_backups: 2\n");
  hlog::get("jobs")->info("rotating");
  CHECK_THAT(read(dir.file("rot.log")), Contains("rotating"));
}

TEST_CASE("a bad logs value is an error that keeps the previous configuration", "[log]") {
  TempDir dir;
  configure("logs:\n  mode: raw\n  output: " + dir.file("ok.log") + "\n");
  SECTION("level") {
    try {
      configure("logs:\n  level: loud\n");
      FAIL("expected a ConfigError");
    } catch (const coyote::sdk::ConfigError& e) {
      CHECK(e.key() == "logs.level");
      CHECK(e.line() == 3);
      CHECK_THAT(e.problem(), Contains("unsupported log level \"loud\""));
    }
  }
  SECTION("unwritable file") {
    // A regular file where a directory should be: spdlog creates missing directories itself.
    std::ofstream(dir.file("blocker")) << "x";
    try {
      configure("logs:\n  output: " + dir.file("blocker/x.log") + "\n");
      FAIL("expected a ConfigError");
    } catch (const coyote::sdk::ConfigError& e) {
      CHECK(e.key() == "logs.output");
      CHECK_THAT(e.problem(), Contains("cannot open log file"));
    }
  }
  hlog::get("still")->info("still raw");
  CHECK_THAT(read(dir.file("ok.log")), Contains("still raw\n"));
}

TEST_CASE("SdkLogger logs through plugin.<name> and reports enabled levels", "[log]") {
  TempDir dir;
  configure("logs:\n  mode: production\n  level: info\n  output: " + dir.file("out.log") + "\n");
  auto logger = hlog::SdkLogger::for_plugin("memory");
  CHECK(logger->enabled(coyote::sdk::LogLevel::kWarn));
  CHECK_FALSE(logger->enabled(coyote::sdk::LogLevel::kDebug));
  logger->warn("from the plugin");
  logger->debug("hidden");
  const auto text = read(dir.file("out.log"));
  CHECK_THAT(text, Contains(R"({"level":"warn")"));
  CHECK_THAT(text, Contains(R"("logger":"plugin.memory","msg":"from the plugin")"));
  CHECK_THAT(text, !Contains("hidden"));
}

TEST_CASE("a job id with a newline cannot forge a console log line", "[log]") {
  // Issue 12 item 15: ids and names with newlines printed standalone lines.
  TempDir dir;
  configure("logs:\n  mode: development\n  encoding: console\n  output: " + dir.file("out.log") +
            "\n");
  hlog::get("jobs")->error("job {} failed",
                           "x\n2026-01-01T00:00:00.000+0000\tinfo\tjobs\tall good\x1b[2J");
  const auto text = read(dir.file("out.log"));
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
  CHECK_THAT(
      text, Contains(R"(job x\n2026-01-01T00:00:00.000+0000\tinfo\tjobs\tall good\x1b[2J failed)"));
}

TEST_CASE("JSON log lines stay valid UTF-8 whatever bytes a message carries", "[log]") {
  TempDir dir;
  configure("logs:\n  mode: production\n  output: " + dir.file("out.log") + "\n");
  hlog::get("worker")->info("[pid 1] {}", std::string("caf\xc3\xa9 \xff\xfe bad \xc3 end\n"));
  const auto text = read(dir.file("out.log"));
  CHECK_THAT(
      text,
      Contains(
          "\"msg\":\"[pid 1] caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd bad \xef\xbf\xbd end\\n\"}"));
  CHECK(hlog::valid_utf8("ok \xe2\x82\xac") == "ok \xe2\x82\xac");
  CHECK(hlog::valid_utf8("\xed\xa0\x80") == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // a surrogate
}

TEST_CASE("a log file the host creates is readable by its group only", "[log]") {
  // Issue 12 item 16: it was created 0644.
  TempDir dir;
  configure("logs:\n  mode: production\n  output: " + dir.file("out.log") + "\n");
  hlog::get("jobs")->info("hello");
  struct stat st {};
  REQUIRE(::stat(dir.file("out.log").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
}
