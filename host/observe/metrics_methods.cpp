#include "observe/metrics_methods.hpp"

#include "rpc/go_json.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <functional>
#include <string>

namespace coyote::host::observe {
namespace json = boost::json;
namespace {

std::string text_of(const json::string& s) { return {s.data(), s.size()}; }

sdk::Status json_only(const rpc::Call& call) {
  if (call.codec == rpc::Codec::kJson) return sdk::Status::ok();
  return sdk::Status::error(std::string(call.method) +
                            " takes a JSON argument (as spiral/roadrunner-metrics sends it); use "
                            "the JSON codec (flag 0x08)");
}

sdk::Status strings_of(const json::value& v, std::string_view where,
                       std::vector<std::string>& out) {
  if (v.is_null()) return sdk::Status::ok();
  const auto* array = v.if_array();
  if (array == nullptr) return rpc::go_json::type_error(v, where, "[]string");
  for (const auto& item : *array) {
    if (!item.is_string()) return rpc::go_json::type_error(item, where, "string");
    out.push_back(text_of(item.get_string()));
  }
  return sdk::Status::ok();
}

sdk::Status number_of(const json::value& v, std::string_view where, double& out) {
  if (v.is_null()) return sdk::Status::ok();
  if (v.is_double()) {
    out = v.get_double();
  } else if (v.is_int64()) {
    out = static_cast<double>(v.get_int64());
  } else if (v.is_uint64()) {
    out = static_cast<double>(v.get_uint64());
  } else {
    return rpc::go_json::type_error(v, where, "float64");
  }
  return sdk::Status::ok();
}

sdk::Status string_of(const json::value& v, std::string_view where, std::string& out) {
  if (v.is_null()) return sdk::Status::ok();
  if (!v.is_string()) return rpc::go_json::type_error(v, where, "string");
  out = text_of(v.get_string());
  return sdk::Status::ok();
}

sdk::Status parse_metric(const json::value& v, metrics::MetricUpdate& out) {
  const auto* obj = v.if_object();
  if (obj == nullptr) return rpc::go_json::type_error(v, "metric", "Metric object");
  for (const auto& [key, value] : *obj) {
    sdk::Status s = sdk::Status::ok();
    if (key == "name") {
      s = string_of(value, "name", out.name);
    } else if (key == "value") {
      s = number_of(value, "value", out.value);
    } else if (key == "labels") {
      s = strings_of(value, "labels", out.labels);
    }  // unknown fields are ignored, as encoding/json does
    if (!s) return s;
  }
  return sdk::Status::ok();
}

sdk::Status parse_objectives(const json::value& v, std::vector<metrics::Objective>& out) {
  if (v.is_null()) return sdk::Status::ok();
  const auto add = [&out](std::string_view key, const json::value& error) -> sdk::Status {
    double q = 0;
    const auto* end = key.data() + key.size();
    if (auto [p, ec] = std::from_chars(key.data(), end, q); ec != std::errc() || p != end) {
      return sdk::Status::error(R"(collector.objectives: key ")" + std::string(key) +
                                R"(" is not a quantile such as "0.5")");
    }
    double e = 0;
    if (auto s = number_of(error, "collector.objectives", e); !s) return s;
    out.push_back({q, e});
    return sdk::Status::ok();
  };
  if (const auto* obj = v.if_object()) {
    for (const auto& [key, error] : *obj) {
      if (auto s = add(key, error); !s) return s;
    }
    return sdk::Status::ok();
  }
  if (const auto* array = v.if_array()) {  // PHP lists: [{"0.5": 0.05}, ...]
    for (const auto& item : *array) {
      const auto* one = item.if_object();
      if (one == nullptr) return rpc::go_json::type_error(item, "collector.objectives", "object");
      for (const auto& [key, error] : *one) {
        if (auto s = add(key, error); !s) return s;
      }
    }
    return sdk::Status::ok();
  }
  return rpc::go_json::type_error(v, "collector.objectives", "map[float64]float64");
}

sdk::Status parse_collector(const json::value& v, metrics::CollectorSpec& out) {
  const auto* obj = v.if_object();
  if (obj == nullptr) return rpc::go_json::type_error(v, "collector", "Collector object");
  for (const auto& [key, value] : *obj) {
    sdk::Status s = sdk::Status::ok();
    if (key == "namespace") {
      s = string_of(value, "collector.namespace", out.ns);
    } else if (key == "subsystem") {
      s = string_of(value, "collector.subsystem", out.subsystem);
    } else if (key == "type") {
      s = string_of(value, "collector.type", out.type);
    } else if (key == "help") {
      s = string_of(value, "collector.help", out.help);
    } else if (key == "labels") {
      s = strings_of(value, "collector.labels", out.labels);
    } else if (key == "buckets") {
      if (const auto* array = value.if_array()) {
        for (const auto& b : *array) {
          double d = 0;
          if (s = number_of(b, "collector.buckets", d); !s) break;
          out.buckets.push_back(d);
        }
      } else if (!value.is_null()) {
        s = rpc::go_json::type_error(value, "collector.buckets", "[]float64");
      }
    } else if (key == "objectives") {
      s = parse_objectives(value, out.objectives);
    }
    if (!s) return s;
  }
  return sdk::Status::ok();
}

constexpr std::string_view kTrue = "true";

using Update = sdk::Status (metrics::AppMetrics::*)(const metrics::MetricUpdate&);

}  // namespace

void add_metrics_methods(rpc::MethodTable& table, metrics::AppMetrics& app) {
  const std::pair<const char*, Update> updates[] = {
      {"metrics.Add", &metrics::AppMetrics::add},
      {"metrics.Sub", &metrics::AppMetrics::sub},
      {"metrics.Observe", &metrics::AppMetrics::observe},
      {"metrics.Set", &metrics::AppMetrics::set},
  };
  for (const auto& update : updates) {
    const Update op = update.second;
    table.add(update.first, [&app, op](const rpc::Call& call, const rpc::Reply& reply) {
      if (auto s = json_only(call); !s) return reply(s, {});
      json::value v;
      if (auto s = rpc::go_json::parse(call.body, v); !s) return reply(s, {});
      metrics::MetricUpdate m;
      if (auto s = parse_metric(v, m); !s) return reply(s, {});
      if (auto s = std::invoke(op, app, m); !s) return reply(s, {});
      reply(sdk::Status::ok(), std::string(kTrue));
    });
  }
  table.add("metrics.Declare", [&app](const rpc::Call& call, const rpc::Reply& reply) {
    if (auto s = json_only(call); !s) return reply(s, {});
    json::value v;
    if (auto s = rpc::go_json::parse(call.body, v); !s) return reply(s, {});
    const auto* obj = v.if_object();
    if (obj == nullptr) {
      return reply(rpc::go_json::type_error(v, "argument", "NamedCollector object"), {});
    }
    metrics::CollectorSpec spec;
    if (const auto* name = obj->if_contains("name")) {
      if (auto s = string_of(*name, "name", spec.name); !s) return reply(s, {});
    }
    if (const auto* collector = obj->if_contains("collector")) {
      if (auto s = parse_collector(*collector, spec); !s) return reply(s, {});
    }
    if (auto s = app.declare(spec); !s) return reply(s, {});
    reply(sdk::Status::ok(), std::string(kTrue));
  });
  table.add("metrics.Unregister", [&app](const rpc::Call& call, const rpc::Reply& reply) {
    if (auto s = json_only(call); !s) return reply(s, {});
    json::value v;
    if (auto s = rpc::go_json::parse(call.body, v); !s) return reply(s, {});
    std::string name;
    if (auto s = string_of(v, "argument", name); !s) return reply(s, {});
    auto removed = app.unregister(name);
    if (!removed) return reply(sdk::Status::error(removed.error()), {});
    reply(sdk::Status::ok(), *removed ? std::string(kTrue) : std::string("false"));
  });
}

}  // namespace coyote::host::observe
