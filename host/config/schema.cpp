#include "config/schema.hpp"

#include "config/duration.hpp"
#include "config/suggest.hpp"
#include "config/yaml_text.hpp"

#include <charconv>
#include <span>
#include <string_view>

namespace coyote::host::config {
namespace {

class Validator {
 public:
  Validator(Findings& findings, std::span<const std::string_view> foreign_sections)
      : findings_(findings), foreign_(foreign_sections) {}

  void check(const YAML::Node& node, const YAML::Node& key_node, const std::string& path,
             const Spec& spec) {
    if (!node.IsDefined() || node.IsNull()) return;  // an empty key means "use the default"
    switch (spec.kind) {
      case Kind::kString:
        if (!expect_scalar(node, path, "a string")) return;
        if (!spec.allowed.empty()) check_allowed(node, path, spec.allowed);
        return;
      case Kind::kInteger:
        if (expect_scalar(node, path, "an integer") && !is_integer_text(node.Scalar())) {
          error(node, path, "expected an integer like 10, got " + describe(node));
        }
        return;
      case Kind::kBoolean: {
        bool ignored = false;
        if (expect_scalar(node, path, "true or false") &&
            !YAML::convert<bool>::decode(node, ignored)) {
          error(node, path, "expected true or false, got " + describe(node));
        }
        return;
      }
      case Kind::kDuration:
        if (expect_scalar(node, path, "a duration") && !parse_duration(node.Scalar())) {
          error(node, path, R"(expected a duration like "60s" or "1m30s", got )" + describe(node));
        }
        return;
      case Kind::kStringOrList:
        if (node.IsScalar()) return;
        [[fallthrough]];
      case Kind::kStringList:
        if (!node.IsSequence()) {
          error(node, path, "expected a list of strings, got " + describe(node));
          return;
        }
        for (std::size_t i = 0; i < node.size(); ++i) {
          expect_scalar(node[i], path + "." + std::to_string(i), "a string");
        }
        return;
      case Kind::kStringMap:
        if (!expect_map(node, key_node, path, "a map of NAME: value")) return;
        for (auto it = node.begin(); it != node.end(); ++it) {
          if (!it->second.IsNull()) {
            expect_scalar(it->second, path + "." + it->first.Scalar(), "a string value");
          }
        }
        return;
      case Kind::kOpaqueMap:
        expect_map(node, key_node, path, "a map");
        return;
      case Kind::kNamed:
        if (!expect_map(node, key_node, path, "a map of names")) return;
        for (auto it = node.begin(); it != node.end(); ++it) {
          check(it->second, it->first, path + "." + it->first.Scalar(), *spec.value);
        }
        return;
      case Kind::kSection:
        check_section(node, key_node, path, spec);
        return;
    }
  }

 private:
  void error(const YAML::Node& at, const std::string& path, const std::string& message) {
    findings_.error(at, path, message);
  }
  void warning(const YAML::Node& at, const std::string& path, const std::string& message) {
    findings_.warning(at, path, message);
  }

  bool expect_scalar(const YAML::Node& node, const std::string& path, std::string_view what) {
    if (node.IsScalar()) return true;
    error(node, path, "expected " + std::string(what) + ", got " + describe(node));
    return false;
  }

  bool expect_map(const YAML::Node& node, const YAML::Node& key_node, const std::string& path,
                  std::string_view what) {
    if (node.IsMap()) return true;
    error(node.IsScalar() ? node : key_node, path,
          "expected " + std::string(what) + ", got " + describe(node));
    return false;
  }

  void check_allowed(const YAML::Node& node, const std::string& path,
                     std::span<const std::string_view> allowed) {
    for (const auto value : allowed) {
      if (node.Scalar() == value) return;
    }
    std::string list;
    for (const auto value : allowed) list += (list.empty() ? "" : ", ") + std::string(value);
    std::string message = "unsupported value " + describe(node) + "; expected one of " + list;
    if (auto near = closest_match(node.Scalar(), {allowed.begin(), allowed.end()})) {
      message += " (did you mean " + *near + "?)";
    }
    error(node, path, message);
  }

  void check_section(const YAML::Node& node, const YAML::Node& key_node, const std::string& path,
                     const Spec& spec) {
    if (!expect_map(node, key_node, path, "a section (a map of keys)")) return;
    std::vector<std::string_view> names;
    for (const auto& f : spec.fields) names.push_back(f.name);
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string name = it->first.IsScalar() ? it->first.Scalar() : std::string("?");
      const std::string child = path.empty() ? name : path + "." + name;
      const Field* field = nullptr;
      for (const auto& f : spec.fields) {
        if (f.name == name) field = &f;
      }
      if (field != nullptr) {
        if (!field->deprecated.empty()) warning(it->first, child, std::string(field->deprecated));
        check(it->second, it->first, child, *field->spec);
        continue;
      }
      unknown_key(it->first, child, name, names, spec.unknown);
    }
    for (const auto& f : spec.fields) {
      if (!f.required) continue;
      const YAML::Node value = node[std::string(f.name)];
      if (!value.IsDefined() || value.IsNull()) {
        error(key_node, path.empty() ? std::string(f.name) : path + "." + std::string(f.name),
              "required key is missing" + std::string(path.empty() ? "" : " in " + path));
      }
    }
  }

  void unknown_key(const YAML::Node& key, const std::string& path, const std::string& name,
                   const std::vector<std::string_view>& names, Unknown policy) {
    const auto near = closest_match(name, names);
    switch (policy) {
      case Unknown::kError: {
        std::string message = "unknown key";
        if (near) {
          message += "; did you mean " + *near + "?";
        } else {
          std::string list;
          for (const auto n : names) list += (list.empty() ? "" : ", ") + std::string(n);
          message += "; valid keys here: " + list;
        }
        error(key, path, message);
        return;
      }
      case Unknown::kWarnUnlessTypo:
        if (near) {
          error(key, path, "unknown key; did you mean " + *near + "?");
        } else {
          warning(key, path,
                  "not a pipeline key; driver options belong under config (read from here only "
                  "for RoadRunner compatibility)");
        }
        return;
      case Unknown::kIgnoreUnlessTypo:
        for (const auto foreign : foreign_) {
          if (foreign == name) return;
        }
        if (near) error(key, path, "unknown section; did you mean " + *near + "?");
        return;
    }
  }

  Findings& findings_;
  std::span<const std::string_view> foreign_;
};

}  // namespace

void Findings::error(const YAML::Node& at, const std::string& path, const std::string& message) {
  add(Diagnostic::Severity::kError, at, path, message);
}

void Findings::warning(const YAML::Node& at, const std::string& path, const std::string& message) {
  add(Diagnostic::Severity::kWarning, at, path, message);
}

void Findings::add(Diagnostic::Severity severity, const YAML::Node& at, const std::string& path,
                   const std::string& message) {
  const Location where = doc_.location_of(at, path);
  Diagnostic d;
  d.severity = severity;
  d.file = doc_.file();
  d.line = where.line;
  d.column = where.column;
  d.key = path;
  d.message = where.override_text.empty()
                  ? message
                  : message + " (set by -o \"" + where.override_text + "\")";
  out_.push_back(std::move(d));
}

std::vector<Diagnostic> validate(const ConfigDocument& doc, const Schema& schema,
                                 const ValidateOptions& options) {
  std::vector<Diagnostic> out;
  Findings findings(doc, out);
  Validator v(findings, schema.foreign_sections);
  v.check(doc.root(), doc.root(), "", *schema.root);
  for (const auto rule : schema.cross_rules) rule(doc, options, findings);
  return out;
}

std::vector<Diagnostic> validate_or_throw(const ConfigDocument& doc, const Schema& schema,
                                          const ValidateOptions& options) {
  std::vector<Diagnostic> warnings;
  for (auto& d : validate(doc, schema, options)) {
    if (d.is_error()) throw d.to_error();
    warnings.push_back(std::move(d));
  }
  return warnings;
}

const Spec* find_key(const Spec& root, std::string_view path) {
  const Spec* at = &root;
  while (!path.empty()) {
    const std::size_t dot = path.find('.');
    const std::string_view segment = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    switch (at->kind) {
      case Kind::kSection: {
        const Spec* next = nullptr;
        for (const auto& f : at->fields) {
          if (f.name == segment) next = f.spec;
        }
        if (next == nullptr) return nullptr;
        at = next;
        break;
      }
      case Kind::kNamed:
        at = at->value;
        break;
      case Kind::kOpaqueMap:
      case Kind::kStringMap:
        return at;  // below is the owner's (a driver's options, an environment variable)
      case Kind::kStringList:
      case Kind::kStringOrList:
        return path.empty() && is_integer_text(segment) ? at : nullptr;  // a list item
      default:
        return nullptr;  // a scalar has no children
    }
  }
  return at;
}

}  // namespace coyote::host::config
