#include "metrics/collect_config.hpp"

#include <coyote/sdk/config.hpp>

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <string_view>

namespace coyote::host::metrics {

namespace {

constexpr std::string_view kKeys[] = {"type",   "namespace", "subsystem", "help",
                                      "labels", "buckets",   "objectives"};

[[noreturn]] void fail(const YAML::Node& at, const std::string& file, const std::string& key,
                       const std::string& problem) {
  const YAML::Mark m = at.Mark();
  throw sdk::ConfigError(file, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0, key,
                         problem);
}

double number(const YAML::Node& n, const std::string& file, const std::string& key) {
  if (!n.IsScalar()) fail(n, file, key, "expected a number");
  const std::string& s = n.Scalar();
  double v = 0;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size()) {
    fail(n, file, key, "expected a number, got \"" + s + "\"");
  }
  return v;
}

std::string text(const YAML::Node& n, const std::string& file, const std::string& key) {
  if (!n.IsDefined() || n.IsNull()) return {};
  if (!n.IsScalar()) fail(n, file, key, "expected a string");
  return n.Scalar();
}

void add_objective(const YAML::Node& q, const YAML::Node& e, const std::string& file,
                   const std::string& key, std::vector<Objective>& out) {
  out.push_back({number(q, file, key + "." + (q.IsScalar() ? q.Scalar() : std::string("?"))),
                 number(e, file, key + "." + (q.IsScalar() ? q.Scalar() : std::string("?")))});
}

}  // namespace

std::vector<CollectorSpec> parse_collect(const YAML::Node& node, const std::string& file) {
  std::vector<CollectorSpec> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!node.IsMap()) {
    fail(node, file, "metrics.collect", "expected a map of collector names to their settings");
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    CollectorSpec c;
    c.name = it->first.Scalar();
    const std::string base = "metrics.collect." + c.name;
    const YAML::Node body = it->second;
    if (!body.IsMap()) fail(body, file, base, "expected a map with at least `type`");
    for (auto kv = body.begin(); kv != body.end(); ++kv) {
      const std::string k = kv->first.Scalar();
      bool known = false;
      for (const auto name : kKeys) known = known || name == k;
      if (!known) {
        fail(kv->first, file, std::string(base).append(".").append(k),
             "unknown key; a collector has type, namespace, subsystem, help, labels, buckets and "
             "objectives");
      }
    }
    const YAML::Node type = body["type"];
    if (!type.IsDefined() || type.IsNull()) {
      fail(body, file, base + ".type", "missing; set counter, gauge, histogram or summary");
    }
    c.type = text(type, file, base + ".type");
    if (!parse_metric_type(c.type)) {
      fail(type, file, base + ".type",
           "unknown metric type \"" + c.type + "\"; use counter, gauge, histogram or summary");
    }
    c.ns = text(body["namespace"], file, base + ".namespace");
    c.subsystem = text(body["subsystem"], file, base + ".subsystem");
    c.help = text(body["help"], file, base + ".help");
    if (const YAML::Node labels = body["labels"]; labels.IsDefined() && !labels.IsNull()) {
      if (!labels.IsSequence()) fail(labels, file, base + ".labels", "expected a list of names");
      for (std::size_t i = 0; i < labels.size(); ++i) {
        c.labels.push_back(text(labels[i], file, base + ".labels." + std::to_string(i)));
      }
    }
    if (const YAML::Node buckets = body["buckets"]; buckets.IsDefined() && !buckets.IsNull()) {
      if (!buckets.IsSequence()) {
        fail(buckets, file, base + ".buckets", "expected a list of numbers");
      }
      for (std::size_t i = 0; i < buckets.size(); ++i) {
        c.buckets.push_back(number(buckets[i], file, base + ".buckets." + std::to_string(i)));
      }
    }
    if (const YAML::Node obj = body["objectives"]; obj.IsDefined() && !obj.IsNull()) {
      const std::string key = base + ".objectives";
      if (obj.IsMap()) {
        for (auto q = obj.begin(); q != obj.end(); ++q) {
          add_objective(q->first, q->second, file, key, c.objectives);
        }
      } else if (obj.IsSequence()) {
        // The form RoadRunner's docs show: a list of one-entry maps.
        for (std::size_t i = 0; i < obj.size(); ++i) {
          const YAML::Node entry = obj[i];
          if (!entry.IsMap()) {
            fail(entry, file, key + "." + std::to_string(i), "expected quantile: error");
          }
          for (auto q = entry.begin(); q != entry.end(); ++q) {
            add_objective(q->first, q->second, file, key, c.objectives);
          }
        }
      } else {
        fail(obj, file, key, "expected a map of quantile to allowed error, e.g. {0.5: 0.05}");
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace coyote::host::metrics
