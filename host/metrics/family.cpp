#include "metrics/family.hpp"

#include "metrics/text_format.hpp"

#include <stdexcept>

namespace coyote::host::metrics {

namespace {

// '\xff' never occurs in UTF-8, so joined values cannot collide.
std::string key_of(const std::vector<std::string>& values) {
  std::string key;
  for (const auto& value : values) {
    key += value;
    key.push_back('\xff');
  }
  return key;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

Family::Family(MetricDesc desc, std::function<Clock::time_point()> clock,
               std::function<Series*(const Family&)> on_refused)
    : desc_(std::make_shared<const MetricDesc>(std::move(desc))),
      clock_(std::move(clock)),
      on_refused_(std::move(on_refused)) {
  switch (desc_->type) {
    case MetricType::kCounter:
    case MetricType::kGauge:
      stride_ = 1;
      break;
    case MetricType::kHistogram:
      stride_ = desc_->buckets.size() + 2;
      break;
    case MetricType::kSummary:
      stride_ = desc_->objectives.size() + 2;
      break;
  }
}

sdk::Result<Series*> Family::with(const std::vector<std::string>& label_values) {
  std::string key = key_of(label_values);
  if (auto it = series_.find(key); it != series_.end()) return it->second.get();
  return create(std::move(key), label_values);
}

sdk::Result<Series*> Family::with(std::initializer_list<std::string_view> label_values) {
  std::vector<std::string> values(label_values.begin(), label_values.end());
  return with(values);
}

Series& Family::only() { return at({}); }

Series& Family::at(std::initializer_list<std::string_view> label_values) {
  auto r = with(label_values);
  if (!r) throw std::logic_error(r.error());
  return **r;
}

sdk::Result<Series*> Family::create(std::string key, std::vector<std::string> values) {
  const MetricDesc& d = *desc_;
  if (values.size() != d.labels.size()) {
    return sdk::Result<Series*>::failure(
        "metric " + d.name + " has " + std::to_string(d.labels.size()) + " label(s)" +
        (d.labels.empty() ? std::string() : " (" + joined(d.labels) + ")") + ", got " +
        std::to_string(values.size()) + " value(s)");
  }
  for (const auto& v : values) {
    if (!is_valid_utf8(v)) {
      return sdk::Result<Series*>::failure("metric " + d.name +
                                           ": a label value is not valid UTF-8");
    }
  }
  if (d.max_series != 0 && series_.size() >= d.max_series) {
    if (refused_counter_ == nullptr && on_refused_) refused_counter_ = on_refused_(*this);
    if (refused_counter_ != nullptr) refused_counter_->add(1);
    return sdk::Result<Series*>::failure(
        "metric " + d.name + " already has " + std::to_string(series_.size()) +
        " label combinations, its limit; a new one is refused (use labels with few values: "
        "not ids, urls or timestamps)");
  }
  auto series = std::make_unique<Series>(*this, std::move(values));
  Series* raw = series.get();
  series_.emplace(std::move(key), std::move(series));
  rendered_.reset();
  return raw;
}

Series* Family::find(const std::vector<std::string>& label_values) {
  const auto it = series_.find(key_of(label_values));
  return it == series_.end() ? nullptr : it->second.get();
}

bool Family::remove(const std::vector<std::string>& label_values) {
  if (series_.erase(key_of(label_values)) == 0) return false;
  rendered_.reset();
  return true;
}

void Family::clear() {
  if (series_.empty()) return;
  series_.clear();
  rendered_.reset();
}

FamilySnapshot Family::snapshot(Clock::time_point now) {
  FamilySnapshot out;
  out.desc = desc_;
  out.stride = stride_;
  if (!rendered_) {
    // Rendered once per change of the series set, not per scrape.
    auto labels = std::make_shared<std::vector<std::string>>();
    labels->reserve(series_.size());
    for (const auto& [key, s] : series_) {
      std::string text;
      for (std::size_t i = 0; i < desc_->labels.size(); ++i) {
        if (i != 0) text.push_back(',');
        text += desc_->labels[i];
        text += "=\"";
        append_escaped_label_value(text, s->label_values()[i]);
        text.push_back('"');
      }
      labels->push_back(std::move(text));
    }
    rendered_ = std::move(labels);
  }
  out.labels = rendered_;
  out.values.resize(series_.size() * stride_);
  double* at = out.values.data();
  for (const auto& [key, s] : series_) {
    s->snapshot_into(at, now);
    at += stride_;
  }
  return out;
}

}  // namespace coyote::host::metrics
