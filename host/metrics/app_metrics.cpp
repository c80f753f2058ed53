#include "metrics/app_metrics.hpp"

namespace coyote::host::metrics {

namespace {

std::string_view op_name(int op) {
  static constexpr std::string_view kNames[] = {"Add", "Sub", "Observe", "Set"};
  return kNames[op];
}

}  // namespace

AppMetrics::AppMetrics(Registry& registry, AppMetricsOptions options)
    : registry_(registry), options_(options) {}

sdk::Result<MetricDesc> AppMetrics::describe(const CollectorSpec& c) const {
  const auto type = parse_metric_type(c.type);
  if (!type) {
    return sdk::Result<MetricDesc>::failure("unknown collector type: \"" + c.type + "\" for " +
                                            c.name + " (use counter, gauge, histogram or summary)");
  }
  if (c.name.empty()) return sdk::Result<MetricDesc>::failure("a collector needs a name");
  MetricDesc d;
  d.name = full_name(c.ns, c.subsystem, c.name);
  d.help = c.help;
  d.type = *type;
  d.labels = c.labels;
  // Go's client ignores buckets on other types and objectives on non-summaries; so do we,
  // rather than refuse a collector RoadRunner accepts.
  if (d.type == MetricType::kHistogram) d.buckets = c.buckets;
  if (d.type == MetricType::kSummary) d.objectives = c.objectives;
  d.max_series = options_.max_series;
  if (sdk::Status s = validate(d); !s) return s;
  return d;
}

sdk::Status AppMetrics::declare_config(const std::vector<CollectorSpec>& collectors) {
  std::vector<std::string> added;
  for (const auto& c : collectors) {
    sdk::Status s;
    if (collectors_.contains(c.name)) {
      s = sdk::Status::error("collector " + c.name + " is declared twice");
    } else {
      s = declare(c);
    }
    if (!s) {
      for (const auto& name : added) (void)unregister(name);
      return s;
    }
    added.push_back(c.name);
  }
  return sdk::Status::ok();
}

sdk::Status AppMetrics::declare(const CollectorSpec& c) {
  if (collectors_.contains(c.name)) return sdk::Status::ok();
  if (collectors_.size() >= options_.max_collectors) {
    return sdk::Status::error("cannot declare collector " + c.name + ": " +
                              std::to_string(collectors_.size()) +
                              " application collectors exist, the most one host keeps; "
                              "unregister unused ones (metrics.Unregister)");
  }
  auto desc = describe(c);
  if (!desc) return desc.status();
  std::string full = desc->name;
  auto family = registry_.add(std::move(*desc));
  if (!family) {
    return sdk::Status::error("cannot declare collector " + c.name + ": " + family.error());
  }
  collectors_.emplace(c.name, std::move(full));
  return sdk::Status::ok();
}

sdk::Status AppMetrics::apply(Op op, const MetricUpdate& m) {
  const auto it = collectors_.find(m.name);
  Family* family = it == collectors_.end() ? nullptr : registry_.find(it->second);
  if (family == nullptr) {
    return sdk::Status::error("undefined collector: " + m.name +
                              " (declare it in metrics.collect or with metrics.Declare first)");
  }
  const MetricType type = family->type();
  const bool ok_type = [&] {
    switch (op) {
      case Op::kAdd:
        return type == MetricType::kCounter || type == MetricType::kGauge;
      case Op::kSub:
      case Op::kSet:
        return type == MetricType::kGauge;
      case Op::kObserve:
        return type == MetricType::kHistogram || type == MetricType::kSummary;
    }
    return false;
  }();
  if (!ok_type) {
    return sdk::Status::error("collector does not support the requested operation: " + m.name +
                              " is a " + std::string(to_string(type)) + " and does not support " +
                              std::string(op_name(static_cast<int>(op))));
  }
  if (op == Op::kAdd && type == MetricType::kCounter && m.value < 0) {
    return sdk::Status::error("counter cannot decrease in value: " + m.name);
  }
  Series* series = nullptr;
  if (family->desc().labels.empty()) {
    series = &family->only();  // as Go: labels given to a metric without labels are ignored
  } else {
    if (m.labels.empty()) return sdk::Status::error("required labels for collector: " + m.name);
    auto r = family->with(m.labels);
    if (!r) return r.status();
    series = *r;
  }
  switch (op) {
    case Op::kAdd:
      series->add(m.value);
      break;
    case Op::kSub:
      series->add(-m.value);
      break;
    case Op::kSet:
      series->set(m.value);
      break;
    case Op::kObserve:
      series->observe(m.value);
      break;
  }
  return sdk::Status::ok();
}

sdk::Status AppMetrics::add(const MetricUpdate& m) { return apply(Op::kAdd, m); }
sdk::Status AppMetrics::sub(const MetricUpdate& m) { return apply(Op::kSub, m); }
sdk::Status AppMetrics::observe(const MetricUpdate& m) { return apply(Op::kObserve, m); }
sdk::Status AppMetrics::set(const MetricUpdate& m) { return apply(Op::kSet, m); }

sdk::Result<bool> AppMetrics::unregister(std::string_view name) {
  const auto it = collectors_.find(name);
  if (it == collectors_.end()) {
    return sdk::Result<bool>::failure("undefined collector: " + std::string(name));
  }
  const bool removed = registry_.remove(it->second);
  collectors_.erase(it);
  return removed;
}

bool AppMetrics::contains(std::string_view name) const { return collectors_.contains(name); }

}  // namespace coyote::host::metrics
