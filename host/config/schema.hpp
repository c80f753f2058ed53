// Schema validation: a .rr.yaml checked against a tree of key tables before anything is built.
#pragma once

#include "config/config_document.hpp"
#include "config/diagnostic.hpp"
#include "config/key_spec.hpp"

#include <yaml-cpp/yaml.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::host::config {

struct ValidateOptions {
  /// `coyote serve` needs a worker command: server.command, or a command on every pool.
  bool require_server_command = true;
};

/// Where the checks report: each finding located at a node (its file position, or the -o flag
/// that set it).
class Findings {
 public:
  Findings(const ConfigDocument& doc, std::vector<Diagnostic>& out) : doc_(doc), out_(out) {}
  void error(const YAML::Node& at, const std::string& path, const std::string& message);
  void warning(const YAML::Node& at, const std::string& path, const std::string& message);

 private:
  void add(Diagnostic::Severity severity, const YAML::Node& at, const std::string& path,
           const std::string& message);
  const ConfigDocument& doc_;
  std::vector<Diagnostic>& out_;
};

/// A rule that ties keys together, which a per-key table cannot express (declared by the area
/// that owns the keys, next to its table).
using CrossRule = void (*)(const ConfigDocument& doc, const ValidateOptions& options,
                           Findings& findings);

/// What to check a document against: the key tables from the root, the rules between keys, and
/// the top-level sections of other programs that are not typos of ours.
struct Schema {
  const Spec* root = nullptr;
  std::span<const CrossRule> cross_rules;
  std::span<const std::string_view> foreign_sections;
};

/// Every finding, errors and warnings, in file order of the sections checked, then the cross-key
/// rules'. Unknown keys get a "did you mean", wrong types and values say what was expected,
/// deprecated keys warn. Opaque maps (driver options) are not looked into.
std::vector<Diagnostic> validate(const ConfigDocument& doc, const Schema& schema,
                                 const ValidateOptions& options = {});

/// validate(), throwing the first error as sdk::ConfigError; returns the warnings (for the log).
std::vector<Diagnostic> validate_or_throw(const ConfigDocument& doc, const Schema& schema,
                                          const ValidateOptions& options = {});

}  // namespace coyote::host::config
