// Runs Debian's `promtool check metrics` over exposition text (the format's reference linter).
#pragma once

#include <sys/wait.h>
#include <unistd.h>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace coyote::test {

struct PromtoolResult {
  int exit_code = -1;  ///< 0 clean, 3 lint problems only, 1 parse error; -1 promtool missing
  std::string output;
};

inline PromtoolResult promtool_check(const std::string& text) {
  PromtoolResult r;
  const auto file = std::filesystem::temp_directory_path() /
                    ("coyote-promtool-" + std::to_string(::getpid()) + ".prom");
  {
    std::ofstream out(file, std::ios::binary);
    out << text;
  }
  const std::string cmd = "promtool check metrics < '" + file.string() + "' 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int status = ::pclose(p);
  std::filesystem::remove(file);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (r.exit_code == 127) r.exit_code = -1;  // the shell found no promtool
  return r;
}

}  // namespace coyote::test
