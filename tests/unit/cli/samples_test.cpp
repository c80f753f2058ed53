#include "cli/rr_schema.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

using coyote::host::cli::validate;
using coyote::host::config::ConfigDocument;

namespace {
std::filesystem::path source_dir() {
  if (const char* dir = std::getenv("COYOTE_SOURCE_DIR")) return dir;
  return COYOTE_TEST_SOURCE_DIR;
}
}  // namespace

TEST_CASE("every sample config loads and validates without findings", "[config][cli]") {
  std::vector<std::filesystem::path> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(source_dir() / "config" / "samples")) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  if (std::filesystem::exists(source_dir() / ".rr.yaml.example")) {
    files.push_back(source_dir() / ".rr.yaml.example");
  }
  REQUIRE(files.size() >= 3);
  for (const auto& file : files) {
    INFO(file.string());
    const auto doc = ConfigDocument::load(file, {}, file.parent_path());
    const auto findings = validate(doc);
    std::string text;
    for (const auto& d : findings) text += d.to_string() + "\n";
    INFO(text);
    CHECK(findings.empty());
  }
}
