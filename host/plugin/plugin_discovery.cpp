#include "plugin/plugin_discovery.hpp"

#include <algorithm>
#include <cstdlib>
#include <system_error>

namespace coyote::host::plugin {
namespace {

namespace fs = std::filesystem;

// ---- the keys this file reads: the `coyote` section -----------------------------------------

constexpr config::Field kCoyoteFields[] = {
    {"plugins", &config::spec::kStringOrList, "`[]`",
     "driver plugin directories or `.so` files (string or list); relative paths resolve against "
     "the working directory. Also searched: the install prefix's plugin directory and the "
     "environment variable the host documents."},
};
constexpr config::Spec kCoyote{config::Kind::kSection, kCoyoteFields};

void add_path(Discovery& out, const fs::path& path, const std::string& origin) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    out.errors.push_back(
        LoadError{path, "plugin path " + path.string() + " (from " + origin + ") does not exist"});
    return;
  }
  if (fs::is_directory(status)) {
    auto found = scan_plugin_dir(path, origin + ", directory " + path.string());
    out.candidates.insert(out.candidates.end(), found.begin(), found.end());
    return;
  }
  out.candidates.push_back(PluginCandidate{path, true, origin});
}

}  // namespace

const config::Spec& coyote_keys() { return kCoyote; }

fs::path builtin_plugin_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec || exe.empty()) return {};
  return (exe.parent_path() / ".." / "lib" / "coyote" / "plugins").lexically_normal();
}

PluginSearch default_plugin_search(const sdk::Config& config, fs::path config_base_dir) {
  PluginSearch search;
  auto builtin = builtin_plugin_dir();
  if (!builtin.empty()) search.builtin_dir = builtin;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): startup, and the host never sets variables.
  if (const char* env = std::getenv(kPluginPathEnv)) search.env_path = env;
  if (auto entries = config.strings(kPluginsConfigKey)) search.config_entries = std::move(*entries);
  search.config_base_dir = std::move(config_base_dir);
  return search;
}

std::vector<PluginCandidate> scan_plugin_dir(const fs::path& dir, const std::string& origin) {
  std::vector<PluginCandidate> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto& path = it->path();
    if (path.extension() != ".so") continue;
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    out.push_back(PluginCandidate{path, false, origin});
  }
  std::sort(out.begin(), out.end(), [](const PluginCandidate& a, const PluginCandidate& b) {
    return a.path.filename() < b.path.filename();
  });
  return out;
}

Discovery discover_plugins(const PluginSearch& search) {
  Discovery out;
  if (search.builtin_dir) {
    std::error_code ec;
    if (fs::is_directory(*search.builtin_dir, ec)) {
      auto found =
          scan_plugin_dir(*search.builtin_dir, "plugin dir " + search.builtin_dir->string());
      out.candidates.insert(out.candidates.end(), found.begin(), found.end());
    }
  }
  std::string_view rest = search.env_path;
  while (!rest.empty()) {
    auto colon = rest.find(':');
    std::string_view item = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    // An empty segment ("a::b", a trailing colon) is a harmless slip, not a request for the cwd.
    if (item.empty()) continue;
    add_path(out, fs::absolute(fs::path(item)), kPluginPathEnv);
  }
  for (const auto& entry : search.config_entries) {
    if (entry.empty()) continue;
    fs::path path(entry);
    if (path.is_relative()) path = search.config_base_dir / path;
    add_path(out, path.lexically_normal(), kPluginsConfigKey);
  }
  return out;
}

}  // namespace coyote::host::plugin
