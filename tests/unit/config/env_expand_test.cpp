#include "config/env_expand.hpp"

#include <catch2/catch.hpp>

#include <map>

using coyote::host::config::expand_env;

namespace {
coyote::host::config::EnvLookup fake(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}
}  // namespace

TEST_CASE("env expansion replaces ${VAR} and leaves $VAR alone", "[config]") {
  const auto env = fake({{"HOST", "db"}, {"PORT", "5432"}, {"EMPTY", ""}});
  CHECK(expand_env("tcp://${HOST}:${PORT}", env) == "tcp://db:5432");
  CHECK(expand_env("$HOST and ${HOST}", env) == "$HOST and db");
  CHECK(expand_env("x${UNSET}y", env) == "xy");
  CHECK(expand_env("${EMPTY}", env).empty());
  CHECK(expand_env("no vars", env) == "no vars");
  CHECK(expand_env("cost $5", env) == "cost $5");
}

TEST_CASE("env expansion uses the default when the variable is unset or empty", "[config]") {
  const auto env = fake({{"SET", "value"}, {"EMPTY", ""}, {"INNER", "in"}});
  CHECK(expand_env("${SET:-fallback}", env) == "value");
  CHECK(expand_env("${UNSET:-fallback}", env) == "fallback");
  CHECK(expand_env("${EMPTY:-fallback}", env) == "fallback");
  CHECK(expand_env("${UNSET:-}", env).empty());
  CHECK(expand_env("${UNSET:-tcp://127.0.0.1:6001}", env) == "tcp://127.0.0.1:6001");
  CHECK(expand_env("${UNSET:-${INNER}-x}", env) == "in-x");
}

TEST_CASE("env expansion keeps an unterminated ${ as written", "[config]") {
  const auto env = fake({{"A", "1"}});
  CHECK(expand_env("${A} ${B", env) == "1 ${B");
}

TEST_CASE("env expansion accepts defaults nested up to the documented depth", "[config]") {
  const auto env = fake({});
  std::string text = "end";
  for (int i = 0; i < coyote::host::config::kMaxEnvNesting; ++i) text = "${A:-" + text + "}";
  CHECK(expand_env(text, env) == "end");
}

TEST_CASE("env expansion refuses defaults nested 50 000 deep instead of crashing", "[config]") {
  const auto env = fake({});
  std::string text;
  for (int i = 0; i < 50000; ++i) text += "${A:-";
  text += "x";
  text.append(50000, '}');
  CHECK_THROWS_WITH(expand_env(text, env), Catch::Contains("nested more than 32 levels"));
}
