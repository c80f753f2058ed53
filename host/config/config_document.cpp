#include "config/config_document.hpp"

#include "config/duration.hpp"
#include "config/env_expand.hpp"
#include "config/yaml_text.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace coyote::host::config {
namespace {

constexpr std::string_view kVersionMissing =
    "rr configuration file should contain a version e.g: version: 3";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string join(const std::vector<std::string>& parts, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count && i < parts.size(); ++i) {
    if (i != 0) out.push_back('.');
    out += parts[i];
  }
  return out;
}

// A plain (unquoted) scalar keeps the tag "?"; a quoted one gets "!". That is the only trace of
// quoting yaml-cpp keeps, and it decides whether `3` and `"3"` differ.
bool is_plain(const YAML::Node& node) { return node.Tag() == "?"; }

bool is_float_text(std::string_view s) {
  double v = 0;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && ptr == s.data() + s.size();
}

// The value node for `key` in a map, plus the key node (whose position is the best place to
// point at). Linear, but config maps are small and this never inserts into a const tree.
std::optional<std::pair<YAML::Node, YAML::Node>> find_child(const YAML::Node& parent,
                                                            std::string_view key) {
  if (parent.IsMap()) {
    for (auto it = parent.begin(); it != parent.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == key)
        return std::pair{it->first, it->second};
    }
  } else if (parent.IsSequence()) {
    std::size_t index = 0;
    auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), index);
    if (ec == std::errc() && ptr == key.data() + key.size() && index < parent.size()) {
      return std::pair{parent[index], parent[index]};
    }
  }
  return std::nullopt;
}

struct Walk {
  YAML::Node node;        // deepest node reached
  YAML::Node key_node;    // its key in the parent map (== node for the root / list items)
  std::size_t depth = 0;  // how many segments were matched
  bool complete = false;
};

constexpr char kSegmentSeparator = '\x1f';
/// Maps with more keys than this are indexed; smaller ones are scanned (cheaper than hashing).
constexpr std::size_t kIndexedMapSize = 16;

void build_index(const YAML::Node& node, const std::string& prefix, ConfigIndex& index) {
  if (node.IsMap()) {
    auto* children = node.size() > kIndexedMapSize ? &index[prefix] : nullptr;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) continue;
      const std::string& key = it->first.Scalar();
      if (children != nullptr) children->try_emplace(key, std::pair{it->first, it->second});
      build_index(it->second, prefix + kSegmentSeparator + key, index);
    }
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      build_index(node[i], prefix + kSegmentSeparator + std::to_string(i), index);
    }
  }
}

Walk walk(const YAML::Node& root, const std::vector<std::string>& segments,
          const ConfigIndex& index) {
  Walk w{root, root, 0, segments.empty()};
  std::string prefix;
  for (const auto& seg : segments) {
    std::optional<std::pair<YAML::Node, YAML::Node>> child;
    if (auto map = index.find(prefix); map != index.end()) {
      if (auto it = map->second.find(seg); it != map->second.end()) child = it->second;
    } else {
      child = find_child(w.node, seg);
    }
    prefix += kSegmentSeparator;
    prefix += seg;
    if (!child) return w;
    w.key_node.reset(child->first);
    w.node.reset(child->second);
    ++w.depth;
  }
  w.complete = true;
  return w;
}

// Expands ${VAR} in every scalar value (keys are names, not values) and rejects duplicate keys,
// which yaml-cpp would otherwise accept silently and which go-yaml refuses.
using Expanded = std::map<std::string, std::pair<std::string, std::string>, std::less<>>;

void prepare(YAML::Node node, const EnvLookup& env, const std::string& file,
             const std::string& path, Expanded& expanded, std::size_t& budget) {
  // Aliases share nodes, so a tree walk visits an aliased subtree once per reference: a 1 KB
  // "billion laughs" file is 10^9 visits. The budget (nodes beyond one per byte of text) ends
  // it, and bounds every later walk of the same tree.
  if (budget == 0) {
    const YAML::Mark at = node.Mark();
    throw sdk::ConfigError(file, at.line + 1, at.column + 1, path,
                           "the document expands to more than " +
                               std::to_string(kMaxAliasExpansion) +
                               " nodes beyond its size through YAML aliases (aliases of aliases, "
                               "a \"billion laughs\" file?); write the values out instead");
  }
  --budget;
  if (node.IsScalar()) {
    const std::string text = node.Scalar();
    if (text.find("${") != std::string::npos) {
      const std::string tag = node.Tag();
      try {
        node = expand_env(text, env);
      } catch (const std::invalid_argument& e) {
        const YAML::Mark at = node.Mark();
        throw sdk::ConfigError(file, at.line + 1, at.column + 1, path, e.what());
      }
      node.SetTag(tag);
      if (node.Scalar() != text) expanded.insert_or_assign(path, std::pair{text, node.Scalar()});
    }
  } else if (node.IsMap()) {
    // Hashed: a map of 20 000 pipelines made a linear scan per key quadratic.
    std::unordered_map<std::string, YAML::Mark> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string("?");
      const std::string child_path = path.empty() ? key : path + "." + key;
      if (auto [first, fresh] = seen.try_emplace(key, it->first.Mark()); !fresh) {
        const YAML::Mark here = it->first.Mark();
        throw sdk::ConfigError(file, here.line + 1, here.column + 1, child_path,
                               "duplicate key (first defined at line " +
                                   std::to_string(first->second.line + 1) +
                                   "); remove one of them");
      }
      prepare(it->second, env, file, child_path, expanded, budget);
    }
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      prepare(node[i], env, file, path + "." + std::to_string(i), expanded, budget);
    }
  }
}

}  // namespace

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    out.emplace_back(
        path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

ConfigDocument ConfigDocument::load(const std::filesystem::path& file,
                                    const std::vector<std::string>& overrides,
                                    const std::filesystem::path& working_dir) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw sdk::ConfigError(file.string(), 0, 0, "",
                           std::string("cannot read the configuration file: ") +
                               std::system_category().message(errno) +
                               " (pass -c <path to .rr.yaml>)");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), file.string(), overrides, working_dir);
}

ConfigDocument ConfigDocument::parse(std::string_view yaml_text, std::string file_name_for_errors,
                                     const std::vector<std::string>& overrides,
                                     const std::filesystem::path& working_dir) {
  ConfigDocument doc;
  doc.file_ = std::move(file_name_for_errors);
  doc.working_dir_ = std::filesystem::absolute(working_dir.empty() ? std::filesystem::current_path()
                                                                   : working_dir);
  try {
    doc.root_ = YAML::Load(std::string(yaml_text));
  } catch (const YAML::ParserException& e) {
    throw sdk::ConfigError(doc.file_, e.mark.line + 1, e.mark.column + 1, "",
                           "YAML syntax error: " + e.msg);
  }
  if (doc.root_.IsNull() || !doc.root_.IsDefined()) doc.root_ = YAML::Node(YAML::NodeType::Map);
  if (!doc.root_.IsMap()) {
    const YAML::Mark m = doc.root_.Mark();
    throw sdk::ConfigError(doc.file_, m.line + 1, m.column + 1, "",
                           "the configuration must be a YAML map of sections (version, rpc, "
                           "server, jobs, ...), got " +
                               describe(doc.root_));
  }
  std::size_t budget = yaml_text.size() + kMaxAliasExpansion;
  prepare(doc.root_, process_environment(), doc.file_, "", doc.expanded_, budget);

  for (const auto& text : overrides) {
    const auto bad = [&](const std::string& problem) {
      return sdk::ConfigError(doc.file_, 0, 0, "",
                              "override -o " + quote_text(text) + ": " + problem);
    };
    const std::size_t eq = text.find('=');
    if (eq == std::string::npos)
      throw bad("expected key.path=value, e.g. -o jobs.pool.num_workers=4");
    const std::string key(trim(std::string_view(text).substr(0, eq)));
    const auto segments = split_path(key);
    for (const auto& seg : segments) {
      if (seg.empty())
        throw bad("the key " + quote_text(key) + " has an empty segment; write a.b.c");
    }
    YAML::Node value;
    try {
      value = YAML::Load(text.substr(eq + 1));
    } catch (const YAML::ParserException& e) {
      throw bad("the value is not valid YAML: " + e.msg);
    }
    if (value.IsNull()) value = YAML::Node(std::string());
    YAML::Node cur = doc.root_;
    for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
      YAML::Node child = cur[segments[i]];
      if (!child.IsDefined() || child.IsNull()) {
        cur[segments[i]] = YAML::Node(YAML::NodeType::Map);
        child.reset(cur[segments[i]]);
      } else if (!child.IsMap()) {
        throw bad("cannot set " + key + " because " + join(segments, i + 1) + " is " +
                  describe(child) + ", not a map");
      }
      cur.reset(child);
    }
    cur[segments.back()] = value;
    doc.overridden_[key] = text;
  }

  const YAML::Node version = doc.node("version");
  if (!version.IsDefined() || version.IsNull()) {
    throw sdk::ConfigError(doc.file_, 1, 1, "version",
                           std::string(kVersionMissing) + " (add `version: \"3\"` at the top)");
  }
  if (!version.IsScalar() ||
      (is_plain(version) && !doc.overridden_.contains("version") &&
       (is_integer_text(version.Scalar()) || is_float_text(version.Scalar())))) {
    throw doc.error_at(
        "version", "version should be a string: write version: \"3\" (quoted), got " +
                       (version.IsScalar() ? "the number " + version.Scalar() : describe(version)));
  }
  if (version.Scalar() != "3") {
    throw doc.error_at("version", "unsupported configuration version " +
                                      quote_text(version.Scalar()) +
                                      "; Coyote reads version: \"3\"");
  }
  // After the overrides: they may add keys to any map.
  build_index(doc.root_, "", doc.index_);
  return doc;
}

YAML::Node ConfigDocument::node(std::string_view path) const {
  if (path.empty()) return root_;
  const Walk w = walk(root_, split_path(path), index_);
  if (!w.complete) return YAML::Node(YAML::NodeType::Undefined);
  return w.node;
}

std::filesystem::path ConfigDocument::resolve_path(const std::filesystem::path& p) const {
  return p.is_absolute() ? p : (working_dir_ / p).lexically_normal();
}

Location ConfigDocument::location_of(const YAML::Node& n, std::string_view path) const {
  Location where;
  // A node set by -o, or inside a subtree set by -o, has no file position: name the flag.
  for (const auto& [key, text] : overridden_) {
    if (path == key || (path.size() > key.size() && path.substr(0, key.size()) == key &&
                        path[key.size()] == '.')) {
      where.override_text = text;
      return where;
    }
  }
  const YAML::Mark m = n.Mark();
  if (!m.is_null()) {
    where.line = m.line + 1;
    where.column = m.column + 1;
  }
  return where;
}

sdk::ConfigError ConfigDocument::error_with(const Location& where, std::string_view path,
                                            const std::string& problem) const {
  std::string message = problem;
  // The value at `path` (or a part of a sequence under it) came from ${...}: the message names
  // what the file wrote, never the expanded value (a password, a token).
  for (auto it = expanded_.lower_bound(path); it != expanded_.end(); ++it) {
    const std::string_view key = it->first;
    if (key.substr(0, path.size()) != path) break;
    if (key.size() > path.size() && key[path.size()] != '.') continue;
    const auto& [written, value] = it->second;
    if (value.empty()) continue;
    for (auto at = message.find(value); at != std::string::npos;
         at = message.find(value, at + written.size())) {
      message.replace(at, value.size(), written);
    }
  }
  if (!where.override_text.empty()) {
    return {file_, 0, 0, std::string(path),
            message + " (set by -o " + quote_text(where.override_text) + ")"};
  }
  return {file_, where.line, where.column, std::string(path), message};
}

sdk::ConfigError ConfigDocument::error_at(std::string_view path, const std::string& problem) const {
  const auto segments = path.empty() ? std::vector<std::string>{} : split_path(path);
  const Walk w = walk(root_, segments, index_);
  // A scalar is best pointed at by its value; a missing key or a whole section by the key that
  // opens the closest existing parent.
  const YAML::Node& at = (w.complete && w.node.IsScalar()) ? w.node : w.key_node;
  Location where = location_of(at, join(segments, w.depth));
  if (w.depth == 0 && !w.complete) where = Location{};
  return error_with(where, path, problem);
}

std::optional<YAML::Node> ConfigDocument::scalar_at(std::string_view path,
                                                    std::string_view expected) const {
  YAML::Node n = node(path);  // not const: returned by move
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  if (!n.IsScalar()) {
    throw error_at(path, "expected " + std::string(expected) + ", got " + describe(n));
  }
  return n;
}

bool ConfigDocument::has(std::string_view path) const {
  const YAML::Node n = node(path);
  return n.IsDefined() && !n.IsNull();
}

std::optional<std::string> ConfigDocument::string(std::string_view path) const {
  auto n = scalar_at(path, "a string");
  if (!n) return std::nullopt;
  return n->Scalar();
}

std::optional<std::string> ConfigDocument::text(std::string_view path) const {
  const YAML::Node n = node(path);
  if (!n.IsDefined() || n.IsNull() || !n.IsScalar()) return std::nullopt;
  return n.Scalar();
}

std::optional<std::int64_t> ConfigDocument::integer(std::string_view path) const {
  auto n = scalar_at(path, "an integer");
  if (!n) return std::nullopt;
  std::string_view text = trim(n->Scalar());
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    throw error_at(path, "expected an integer like 10, got " + describe(*n));
  }
  return value;
}

std::optional<double> ConfigDocument::number(std::string_view path) const {
  auto n = scalar_at(path, "a number");
  if (!n) return std::nullopt;
  std::string_view text = trim(n->Scalar());
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    throw error_at(path, "expected a number like 1.5, got " + describe(*n));
  }
  return value;
}

std::optional<bool> ConfigDocument::boolean(std::string_view path) const {
  auto n = scalar_at(path, "a boolean");
  if (!n) return std::nullopt;
  bool value = false;
  if (!YAML::convert<bool>::decode(*n, value)) {
    throw error_at(path, "expected true or false, got " + describe(*n));
  }
  return value;
}

std::optional<std::chrono::milliseconds> ConfigDocument::duration(std::string_view path) const {
  auto n = scalar_at(path, "a duration");
  if (!n) return std::nullopt;
  auto value = parse_duration(n->Scalar());
  if (!value) {
    throw error_at(path, R"(expected a duration like "60s" or "1m30s", got )" + describe(*n));
  }
  return value;
}

std::optional<std::vector<std::string>> ConfigDocument::strings(std::string_view path) const {
  const YAML::Node n = node(path);
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  if (n.IsScalar()) return std::vector<std::string>{n.Scalar()};
  if (!n.IsSequence()) throw error_at(path, "expected a list of strings, got " + describe(n));
  std::vector<std::string> out;
  out.reserve(n.size());
  for (std::size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsScalar()) {
      throw error_at(std::string(path) + "." + std::to_string(i),
                     "expected a string in this list, got " + describe(n[i]));
    }
    out.push_back(n[i].Scalar());
  }
  return out;
}

std::vector<std::string> ConfigDocument::keys(std::string_view path) const {
  std::vector<std::string> out;
  const YAML::Node n = path.empty() ? root_ : node(path);
  if (!n.IsMap()) return out;
  for (auto it = n.begin(); it != n.end(); ++it) {
    if (it->first.IsScalar()) out.push_back(it->first.Scalar());
  }
  return out;
}

}  // namespace coyote::host::config
