#include "metrics/metric_desc.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>

namespace coyote::host::metrics {

std::string_view to_string(MetricType type) noexcept {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kSummary:
      return "summary";
  }
  return "untyped";
}

std::optional<MetricType> parse_metric_type(std::string_view text) noexcept {
  if (text == "counter") return MetricType::kCounter;
  if (text == "gauge") return MetricType::kGauge;
  if (text == "histogram") return MetricType::kHistogram;
  if (text == "summary") return MetricType::kSummary;
  return std::nullopt;
}

const std::vector<double>& default_buckets() {
  static const std::vector<double> buckets{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
  return buckets;
}

std::string full_name(std::string_view ns, std::string_view subsystem, std::string_view name) {
  if (name.empty()) return {};
  std::string out;
  for (const std::string_view part : {ns, subsystem}) {
    if (part.empty()) continue;
    out.append(part).push_back('_');
  }
  out.append(name);
  return out;
}

namespace {

bool is_name_char(char c, bool first, bool colon) noexcept {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  if (alpha || (colon && c == ':')) return true;
  return !first && c >= '0' && c <= '9';
}

}  // namespace

bool is_valid_metric_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!is_name_char(name[i], i == 0, true)) return false;
  }
  return true;
}

bool is_valid_label_name(std::string_view name) noexcept {
  if (name.empty() || name.starts_with("__")) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!is_name_char(name[i], i == 0, false)) return false;
  }
  return true;
}

bool is_valid_utf8(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xe0) == 0xc0) {
      extra = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += extra + 1;
  }
  return true;
}

sdk::Status validate(MetricDesc& d) {
  const auto fail = [&](const std::string& why) {
    return sdk::Status::error("metric " + (d.name.empty() ? std::string("\"\"") : d.name) + ": " +
                              why);
  };
  if (!is_valid_metric_name(d.name)) {
    return fail(
        "not a valid metric name (letters, digits, '_' and ':', not starting with a "
        "digit)");
  }
  if (!is_valid_utf8(d.help)) return fail("help text is not valid UTF-8");
  std::set<std::string_view> seen;
  for (const auto& l : d.labels) {
    if (!is_valid_label_name(l)) {
      return fail("label \"" + l +
                  "\" is not a valid label name (letters, digits and '_', not starting with a "
                  "digit or \"__\")");
    }
    if (!seen.insert(l).second) return fail("label \"" + l + "\" is listed twice");
    if (d.type == MetricType::kHistogram && l == "le") {
      return fail("a histogram cannot have a label named \"le\" (it holds the bucket bound)");
    }
    if (d.type == MetricType::kSummary && l == "quantile") {
      return fail("a summary cannot have a label named \"quantile\"");
    }
  }
  if (d.type == MetricType::kHistogram) {
    if (!d.buckets.empty() && std::isinf(d.buckets.back()) && d.buckets.back() > 0) {
      d.buckets.pop_back();
    }
    if (d.buckets.empty()) d.buckets = default_buckets();
    for (std::size_t i = 0; i < d.buckets.size(); ++i) {
      if (std::isnan(d.buckets[i])) return fail("a histogram bucket is NaN");
      if (i > 0 && !(d.buckets[i - 1] < d.buckets[i])) {
        return fail("histogram buckets must be in increasing order");
      }
    }
  } else if (!d.buckets.empty()) {
    return fail("buckets are only for histograms, this is a " + std::string(to_string(d.type)));
  }
  if (d.type == MetricType::kSummary) {
    std::sort(d.objectives.begin(), d.objectives.end(),
              [](const Objective& a, const Objective& b) { return a.quantile < b.quantile; });
    for (std::size_t i = 0; i < d.objectives.size(); ++i) {
      const Objective& o = d.objectives[i];
      if (!(o.quantile >= 0 && o.quantile <= 1)) {
        return fail("summary objective quantile " + std::to_string(o.quantile) +
                    " is not between 0 and 1");
      }
      if (!(o.error >= 0 && o.error <= 1)) {
        return fail("summary objective error " + std::to_string(o.error) +
                    " is not between 0 and 1");
      }
      if (i > 0 && d.objectives[i - 1].quantile == o.quantile) {
        return fail("summary objective quantile " + std::to_string(o.quantile) +
                    " is listed twice");
      }
    }
    if (d.age_buckets == 0) d.age_buckets = 1;
    if (d.max_age.count() <= 0) d.max_age = std::chrono::seconds(600);
  } else if (!d.objectives.empty()) {
    return fail("objectives are only for summaries, this is a " + std::string(to_string(d.type)));
  }
  return sdk::Status::ok();
}

}  // namespace coyote::host::metrics
