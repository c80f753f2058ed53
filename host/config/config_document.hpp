// ConfigDocument: the loaded .rr.yaml (after ${VAR} expansion and -o overrides) behind sdk::Config.
#pragma once

#include <coyote/sdk/config.hpp>

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace coyote::host::config {

/// Where a node came from, for error messages: a file position (1-based) or an `-o` override.
struct Location {
  int line = 0;    ///< 1-based; 0 when unknown (e.g. the node was created by an override)
  int column = 0;  ///< 1-based; 0 when unknown
  std::string override_text;  ///< "key=value" when the node was set by -o, else empty
};

/// How far YAML aliases may expand a document: this many nodes beyond one per byte of its text
/// (a document without aliases has fewer nodes than bytes). A 1 KB "billion laughs" file is
/// 10^9 nodes; the walk stops at the limit instead.
inline constexpr std::size_t kMaxAliasExpansion = 1'000'000;

/// The children of the document's big maps (jobs.pipelines, a large env), by the map's path
/// (its segments joined with '\x1f'): key → {key node, value node}. Built once at parse, so a
/// lookup costs the depth of its path, not the size of the maps on it.
using ConfigIndex =
    std::unordered_map<std::string,
                       std::unordered_map<std::string, std::pair<YAML::Node, YAML::Node>>>;

/// Immutable after load()/parse(); safe to read from several threads at once (yaml-cpp lookups are
/// done on const nodes only, which never insert).
class ConfigDocument final : public sdk::Config {
 public:
  /// Reads and parses `file`, expands ${VAR} / ${VAR:-default} from the environment, applies the
  /// "a.b.c=value" overrides (as `rr -o`) and checks `version: "3"`. `working_dir` defaults to the
  /// current directory; relative paths in the config (coyote.plugins) resolve against it.
  /// Throws sdk::ConfigError (file:line:col, key, what was expected).
  static ConfigDocument load(const std::filesystem::path& file,
                             const std::vector<std::string>& overrides = {},
                             const std::filesystem::path& working_dir = {});

  /// As load() but from text; `file_name_for_errors` is what error messages call the source.
  static ConfigDocument parse(std::string_view yaml_text, std::string file_name_for_errors,
                              const std::vector<std::string>& overrides = {},
                              const std::filesystem::path& working_dir = {});

  // sdk::Config. A key whose value is YAML null (`key:` or `key: ~`) counts as absent.
  [[nodiscard]] bool has(std::string_view path) const override;
  [[nodiscard]] std::optional<std::string> string(std::string_view path) const override;
  [[nodiscard]] std::optional<std::string> text(std::string_view path) const override;
  /// Accepts integers and numeric strings ("10", " 10 "); rejects fractions.
  [[nodiscard]] std::optional<std::int64_t> integer(std::string_view path) const override;
  [[nodiscard]] std::optional<double> number(std::string_view path) const override;
  /// YAML booleans: true/false (also yes/no/on/off as YAML 1.1 allows).
  [[nodiscard]] std::optional<bool> boolean(std::string_view path) const override;
  /// Go durations ("60s", "1m30s", "500ms", "2.5s", "1h") or a bare number of seconds.
  [[nodiscard]] std::optional<std::chrono::milliseconds> duration(
      std::string_view path) const override;
  /// A sequence of scalars; a single scalar reads as a one-element list.
  [[nodiscard]] std::optional<std::vector<std::string>> strings(
      std::string_view path) const override;
  [[nodiscard]] std::vector<std::string> keys(std::string_view path) const override;
  /// Maps indexed for lookup (those with more than a few keys): a probe for the tests.
  [[nodiscard]] std::size_t indexed_maps() const noexcept { return index_.size(); }

  [[nodiscard]] sdk::ConfigError error_at(std::string_view path,
                                          const std::string& problem) const override;

  /// The file given to load() (or the name given to parse()).
  [[nodiscard]] const std::string& file() const noexcept { return file_; }
  /// Absolute directory that relative paths in the config resolve against.
  [[nodiscard]] const std::filesystem::path& working_dir() const noexcept { return working_dir_; }
  /// `p` made absolute against working_dir() (unchanged when already absolute).
  [[nodiscard]] std::filesystem::path resolve_path(const std::filesystem::path& p) const;
  /// The node at a dotted path (an undefined node when absent), for schema validation and for
  /// components that need structure the getters do not cover.
  [[nodiscard]] YAML::Node node(std::string_view path) const;
  [[nodiscard]] const YAML::Node& root() const noexcept { return root_; }
  /// Location of a node found under `path` (its key's position is preferred by callers that have
  /// the key node; this one is the value's).
  [[nodiscard]] Location location_of(const YAML::Node& node, std::string_view path) const;

 private:
  ConfigDocument() = default;
  [[nodiscard]] std::optional<YAML::Node> scalar_at(std::string_view path,
                                                    std::string_view expected) const;
  [[nodiscard]] sdk::ConfigError error_with(const Location& where, std::string_view path,
                                            const std::string& problem) const;

  YAML::Node root_;
  std::string file_;
  std::filesystem::path working_dir_;
  /// Dotted path set by an override → the override's text, to point errors at the -o flag.
  std::map<std::string, std::string, std::less<>> overridden_;
  ConfigIndex index_;
  /// Dotted path of a value that had `${...}` → {as written, as expanded}: an error about the
  /// value prints what the file wrote (`${DB_PASSWORD}`), never the secret it expanded to.
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> expanded_;
};

/// Splits "a.b.c" into {"a","b","c"}; empty segments are kept (callers reject them).
std::vector<std::string> split_path(std::string_view path);

}  // namespace coyote::host::config
