#include "config/config_document.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>

using Catch::Matchers::Contains;
using coyote::host::config::ConfigDocument;
using coyote::sdk::ConfigError;
using std::chrono::milliseconds;

namespace {

ConfigDocument parse(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return ConfigDocument::parse(text, ".rr.yaml", overrides);
}

// Runs `fn`, which must throw ConfigError, and returns the error for inspection.
template <typename Fn>
ConfigError error_of(Fn&& fn) {
  try {
    fn();
  } catch (const ConfigError& e) {
    return e;
  }
  FAIL("expected a ConfigError");
  return ConfigError("", 0, 0, "", "");
}

const char* kTyped = R"(version: "3"
jobs:
  pipeline_size: "250"
  timeout: 1m30s
  ratio: 0.75
  debug: true
  quiet: no
  name: worker
  empty:
  consume: [a, b]
  single: one
  pipelines:
    zeta: {driver: memory}
    alpha: {driver: memory}
  bad_int: abc
  bad_duration: abc
  map: {x: 1}
)";

}  // namespace

TEST_CASE("a YAML syntax error names the file, line and column", "[config]") {
  const auto e = error_of([] { parse("version: \"3\"\njobs:\n  pool: [1, 2\n"); });
  CHECK(e.file() == ".rr.yaml");
  CHECK(e.line() >= 3);
  CHECK(e.column() > 0);
  CHECK_THAT(e.what(), Contains("YAML syntax error"));
  CHECK_THAT(e.what(), Contains(".rr.yaml:"));
}

TEST_CASE("a missing version gives RoadRunner's message", "[config]") {
  SECTION("no version key") {
    const auto e = error_of([] { parse("jobs:\n  timeout: 5\n"); });
    CHECK(e.key() == "version");
    CHECK_THAT(e.what(),
               Contains("rr configuration file should contain a version e.g: version: 3"));
    CHECK_THAT(e.what(), Contains(".rr.yaml:"));
  }
  SECTION("empty file") {
    const auto e = error_of([] { parse(""); });
    CHECK_THAT(e.what(), Contains("should contain a version"));
  }
  SECTION("null version") {
    const auto e = error_of([] { parse("version:\n"); });
    CHECK_THAT(e.what(), Contains("should contain a version"));
  }
}

TEST_CASE("a version that is not the string 3 is rejected with its location", "[config]") {
  SECTION("unquoted number") {
    const auto e = error_of([] { parse("rpc: {}\nversion: 3\n"); });
    CHECK(e.key() == "version");
    CHECK(e.line() == 2);
    CHECK(e.column() == 10);
    CHECK_THAT(e.problem(), Contains("should be a string"));
  }
  SECTION("a list") {
    const auto e = error_of([] { parse("version: [3]\n"); });
    CHECK_THAT(e.problem(), Contains("should be a string"));
  }
  SECTION("another version") {
    const auto e = error_of([] { parse("version: \"2.7\"\n"); });
    CHECK_THAT(e.problem(), Contains("unsupported configuration version \"2.7\""));
  }
  SECTION("the quoted string is accepted") { CHECK_NOTHROW(parse("version: '3'\n")); }
}

TEST_CASE("the root must be a map", "[config]") {
  const auto e = error_of([] { parse("- a\n- b\n"); });
  CHECK_THAT(e.problem(), Contains("YAML map of sections"));
}

TEST_CASE("duplicate keys are reported where the second one is", "[config]") {
  const auto e = error_of([] { parse("version: \"3\"\njobs:\n  timeout: 1\n  timeout: 2\n"); });
  CHECK(e.key() == "jobs.timeout");
  CHECK(e.line() == 4);
  CHECK(e.column() == 3);
  CHECK_THAT(e.problem(), Contains("first defined at line 3"));
}

TEST_CASE("typed getters read values and treat absent or null keys as missing", "[config]") {
  const auto doc = parse(kTyped);
  CHECK(doc.integer("jobs.pipeline_size") == 250);
  CHECK(doc.duration("jobs.timeout") == milliseconds(90'000));
  CHECK(doc.number("jobs.ratio") == Approx(0.75));
  CHECK(doc.number("jobs.pipeline_size") == Approx(250.0));
  CHECK(doc.boolean("jobs.debug") == true);
  CHECK(doc.boolean("jobs.quiet") == false);
  CHECK(doc.string("jobs.name") == "worker");
  CHECK(doc.strings("jobs.consume") == std::vector<std::string>{"a", "b"});
  CHECK(doc.strings("jobs.single") == std::vector<std::string>{"one"});
  CHECK(doc.keys("jobs.pipelines") == std::vector<std::string>{"zeta", "alpha"});
  CHECK(doc.keys("jobs.name").empty());
  CHECK(doc.keys("nothing.here").empty());
  CHECK(doc.string("jobs.consume.1") == "b");

  CHECK(doc.has("jobs.name"));
  CHECK_FALSE(doc.has("jobs.empty"));
  CHECK_FALSE(doc.has("jobs.missing"));
  CHECK_FALSE(doc.string("jobs.empty").has_value());
  CHECK_FALSE(doc.integer("jobs.missing").has_value());
  CHECK(doc.integer_or("jobs.missing", 7) == 7);
  CHECK(doc.duration_or("jobs.missing", milliseconds(5)) == milliseconds(5));
  CHECK(doc.string_or("jobs.pipelines.zeta.driver", "x") == "memory");
}

TEST_CASE("typed getters report a wrong type with location and key", "[config]") {
  const auto doc = parse(kTyped);
  SECTION("integer") {
    const auto e = error_of([&] { (void)doc.integer("jobs.bad_int"); });
    CHECK(e.key() == "jobs.bad_int");
    CHECK(e.line() == 15);
    CHECK(e.column() == 12);
    CHECK_THAT(e.problem(), Contains("expected an integer"));
    CHECK_THAT(e.problem(), Contains("\"abc\""));
  }
  SECTION("fractional integer") { CHECK_THROWS_AS(doc.integer("jobs.ratio"), ConfigError); }
  SECTION("duration") {
    const auto e = error_of([&] { (void)doc.duration("jobs.bad_duration"); });
    CHECK(e.problem() == "expected a duration like \"60s\" or \"1m30s\", got \"abc\"");
    CHECK(e.line() == 16);
  }
  SECTION("boolean") {
    const auto e = error_of([&] { (void)doc.boolean("jobs.name"); });
    CHECK_THAT(e.problem(), Contains("expected true or false"));
  }
  SECTION("string given a map") {
    const auto e = error_of([&] { (void)doc.string("jobs.map"); });
    CHECK_THAT(e.problem(), Contains("expected a string, got a map"));
  }
  SECTION("list given a map") { CHECK_THROWS_AS(doc.strings("jobs.map"), ConfigError); }
}

TEST_CASE("error_at points at the closest existing parent of a missing key", "[config]") {
  const auto doc = parse(kTyped);
  const auto e = doc.error_at("jobs.pipelines.alpha.config.prefetch", "prefetch must be positive");
  CHECK(e.key() == "jobs.pipelines.alpha.config.prefetch");
  CHECK(e.line() == 14);
  CHECK(e.column() == 5);
  CHECK(std::string(e.what()) ==
        ".rr.yaml:14:5: jobs.pipelines.alpha.config.prefetch: prefetch must be positive");
}

TEST_CASE("environment variables are expanded in values, with defaults", "[config]") {
  ::setenv("COYOTE_TEST_CFG_HOST", "10.1.2.3", 1);
  ::unsetenv("COYOTE_TEST_CFG_UNSET");
  const auto doc = parse(R"(version: "3"
rpc:
  listen: tcp://${COYOTE_TEST_CFG_HOST}:6001
server:
  command: "php ${COYOTE_TEST_CFG_UNSET:-worker.php}"
  env:
    KEEP: $HOME
    EMPTY: "${COYOTE_TEST_CFG_UNSET}"
jobs:
  num: ${COYOTE_TEST_CFG_UNSET:-42}
  list: ["${COYOTE_TEST_CFG_HOST}"]
)");
  CHECK(doc.string("rpc.listen") == "tcp://10.1.2.3:6001");
  CHECK(doc.string("server.command") == "php worker.php");
  CHECK(doc.string("server.env.KEEP") == "$HOME");
  CHECK(doc.string("server.env.EMPTY") == "");
  CHECK(doc.integer("jobs.num") == 42);
  CHECK(doc.strings("jobs.list") == std::vector<std::string>{"10.1.2.3"});
  ::unsetenv("COYOTE_TEST_CFG_HOST");
}

TEST_CASE("a value with ${...} defaults nested 50 000 deep is a config error, not a crash",
          "[config]") {
  // Issue 12 item 17: the recursion overflowed the stack (SIGSEGV).
  ::unsetenv("COYOTE_TEST_CFG_UNSET");
  std::string value;
  for (int i = 0; i < 50000; ++i) value += "${COYOTE_TEST_CFG_UNSET:-";
  value += "x";
  value.append(50000, '}');
  const auto e =
      error_of([&] { (void)parse("version: \"3\"\nserver:\n  command: \"" + value + "\"\n"); });
  CHECK(e.key() == "server.command");
  CHECK(e.line() == 3);
  CHECK_THAT(e.what(), Contains("nested more than 32 levels"));
}

TEST_CASE("an error about a value from ${VAR} names the variable, never the secret", "[config]") {
  // Issue 12 item 16: config errors printed expanded ${SECRET} values.
  ::setenv("COYOTE_TEST_CFG_SECRET", "hunter2-s3cret", 1);
  const auto doc = parse(R"(version: "3"
jobs:
  num: ${COYOTE_TEST_CFG_SECRET}
  list: ["a", "${COYOTE_TEST_CFG_SECRET}"]
)");
  const auto e = error_of([&] { (void)doc.integer("jobs.num"); });
  CHECK_THAT(e.what(), Contains("${COYOTE_TEST_CFG_SECRET}"));
  CHECK_THAT(e.what(), !Contains("hunter2"));
  const auto at = doc.error_at("jobs.list", "bad entry \"hunter2-s3cret\"");
  CHECK_THAT(at.what(), !Contains("hunter2"));
  ::unsetenv("COYOTE_TEST_CFG_SECRET");
}

TEST_CASE("a billion-laughs document is refused instead of expanded", "[config]") {
  // Issue 12 item 18: a 1 KB file of aliases of aliases expanded to 10^9 nodes (minutes).
  std::string text = "version: \"3\"\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    const std::string prev = "*a" + std::to_string(i - 1);
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) text += (k ? ", " : "") + prev;
    text += "]\n";
  }
  const auto e = error_of([&] { (void)parse(text); });
  CHECK_THAT(e.what(), Contains("expands to more than 1000000 nodes beyond its size"));
  // A few aliases, as real configs use them, are fine.
  const auto doc = parse("version: \"3\"\nbase: &b {x: 1}\none: *b\ntwo: *b\n");
  CHECK(doc.integer("two.x") == 1);
}

TEST_CASE("a map of 20 000 pipelines is indexed once and read through the index", "[config]") {
  // Issue 12 item 18: every lookup scanned the map, so 4 000 pipelines took 15 s to start.
  std::string text = "version: \"3\"\njobs:\n  pipelines:\n";
  for (int i = 0; i < 20000; ++i) {
    text += "    p" + std::to_string(i) +
            ":\n      driver: memory\n      priority: " + std::to_string(i) + "\n";
  }
  const auto doc = parse(text, {"jobs.pipelines.p7.priority=70"});
  CHECK(doc.indexed_maps() == 1);
  CHECK(doc.integer("jobs.pipelines.p19999.priority") == 19999);
  CHECK(doc.integer("jobs.pipelines.p7.priority") == 70);
  CHECK_FALSE(doc.has("jobs.pipelines.p20000"));
  CHECK(doc.keys("jobs.pipelines").size() == 20000);
  const auto missing = doc.error_at("jobs.pipelines.p20000.driver", "missing");
  CHECK(missing.line() == 3);  // the closest existing parent: jobs.pipelines
  const auto dup = error_of([&] { (void)parse(text + "    p5:\n      driver: memory\n"); });
  CHECK_THAT(dup.what(), Contains("duplicate key (first defined at line"));
}

TEST_CASE("overrides set values and create intermediate maps", "[config]") {
  const auto doc =
      parse("version: \"3\"\njobs:\n  timeout: 5\n  name: x\n",
            {"jobs.timeout=7", "jobs.pool.num_workers=4", "new.deep.key=hello",
             " jobs.name = spaced", "jobs.consume=[a, b]", "jobs.flag=true", "jobs.empty="});
  CHECK(doc.integer("jobs.timeout") == 7);
  CHECK(doc.integer("jobs.pool.num_workers") == 4);
  CHECK(doc.string("new.deep.key") == "hello");
  CHECK(doc.string("jobs.name") == "spaced");
  CHECK(doc.strings("jobs.consume") == std::vector<std::string>{"a", "b"});
  CHECK(doc.boolean("jobs.flag") == true);
  CHECK(doc.string("jobs.empty") == "");
  CHECK(doc.keys("jobs") ==
        std::vector<std::string>{"timeout", "name", "pool", "consume", "flag", "empty"});
}

TEST_CASE("an override can supply the version", "[config]") {
  const auto doc = parse("jobs: {}\n", {"version=3"});
  CHECK(doc.string("version") == "3");
}

TEST_CASE("errors in values set by an override name the override", "[config]") {
  const auto doc = parse("version: \"3\"\n", {"jobs.timeout=soon"});
  const auto e = error_of([&] { (void)doc.duration("jobs.timeout"); });
  CHECK(e.line() == 0);
  CHECK_THAT(e.what(), Contains("-o \"jobs.timeout=soon\""));
}

TEST_CASE("a malformed override is rejected and named", "[config]") {
  SECTION("no equals sign") {
    const auto e = error_of([] { parse("version: \"3\"\n", {"jobs.timeout"}); });
    CHECK_THAT(e.what(), Contains("override -o \"jobs.timeout\""));
    CHECK_THAT(e.what(), Contains("key.path=value"));
  }
  SECTION("empty key segment") {
    const auto e = error_of([] { parse("version: \"3\"\n", {"jobs..timeout=1"}); });
    CHECK_THAT(e.what(), Contains("override -o \"jobs..timeout=1\""));
  }
  SECTION("empty key") { CHECK_THROWS_AS(parse("version: \"3\"\n", {"=1"}), ConfigError); }
  SECTION("path through a scalar") {
    const auto e = error_of([] { parse("version: \"3\"\njobs: 5\n", {"jobs.timeout=1"}); });
    CHECK_THAT(e.what(), Contains("jobs is \"5\", not a map"));
  }
  SECTION("invalid YAML value") {
    const auto e = error_of([] { parse("version: \"3\"\n", {"jobs.consume=[a, b"}); });
    CHECK_THAT(e.what(), Contains("override -o \"jobs.consume=[a, b\""));
    CHECK_THAT(e.what(), Contains("not valid YAML"));
  }
}

TEST_CASE("load reads a file and resolves paths against the working directory", "[config]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("coyote-config-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "rr.yaml";
  {
    std::ofstream out(file);
    out << "version: \"3\"\ncoyote:\n  plugins: [plugins, /abs/x.so]\n";
  }
  SECTION("file and working dir") {
    const auto doc = ConfigDocument::load(file, {}, dir);
    CHECK(doc.file() == file.string());
    CHECK(doc.working_dir() == dir);
    CHECK(doc.resolve_path("plugins") == dir / "plugins");
    CHECK(doc.resolve_path("/abs/x.so") == "/abs/x.so");
  }
  SECTION("missing file") {
    const auto e = error_of([&] { ConfigDocument::load(dir / "nope.yaml"); });
    CHECK_THAT(e.what(), Contains("cannot read the configuration file"));
    CHECK(e.file() == (dir / "nope.yaml").string());
  }
  std::filesystem::remove_all(dir);
}
