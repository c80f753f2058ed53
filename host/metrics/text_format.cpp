#include "metrics/text_format.hpp"

#include <charconv>
#include <cmath>

namespace coyote::host::metrics {

void append_escaped_help(std::string& out, std::string_view help) {
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
}

void append_escaped_label_value(std::string& out, std::string_view value) {
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
}

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, res.ptr);
  }
}

namespace {

// name{labels[,extra]} value\n
void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                   const std::string& labels, std::string_view extra, double v) {
  out += name;
  out += suffix;
  if (!labels.empty() || !extra.empty()) {
    out.push_back('{');
    out += labels;
    if (!labels.empty() && !extra.empty()) out.push_back(',');
    out += extra;
    out.push_back('}');
  }
  out.push_back(' ');
  append_number(out, v);
  out.push_back('\n');
}

}  // namespace

void append_text(std::string& out, const FamilySnapshot& f) {
  const MetricDesc& d = *f.desc;
  out += "# HELP ";
  out += d.name;
  out.push_back(' ');
  append_escaped_help(out, d.help);
  out += "\n# TYPE ";
  out += d.name;
  out.push_back(' ');
  out += to_string(d.type);
  out.push_back('\n');

  const auto& labels = *f.labels;
  std::string extra;
  for (std::size_t s = 0; s < labels.size(); ++s) {
    const double* v = f.values.data() + s * f.stride;
    switch (d.type) {
      case MetricType::kCounter:
      case MetricType::kGauge:
        append_sample(out, d.name, "", labels[s], "", v[0]);
        break;
      case MetricType::kHistogram: {
        const std::size_t n = d.buckets.size();
        for (std::size_t b = 0; b <= n; ++b) {
          extra = "le=\"";
          if (b < n) {
            append_number(extra, d.buckets[b]);
          } else {
            extra += "+Inf";
          }
          extra.push_back('"');
          append_sample(out, d.name, "_bucket", labels[s], extra, v[b]);
        }
        append_sample(out, d.name, "_sum", labels[s], "", v[n + 1]);
        append_sample(out, d.name, "_count", labels[s], "", v[n]);
        break;
      }
      case MetricType::kSummary: {
        const std::size_t k = d.objectives.size();
        for (std::size_t q = 0; q < k; ++q) {
          extra = "quantile=\"";
          append_number(extra, d.objectives[q].quantile);
          extra.push_back('"');
          append_sample(out, d.name, "", labels[s], extra, v[q]);
        }
        append_sample(out, d.name, "_sum", labels[s], "", v[k]);
        append_sample(out, d.name, "_count", labels[s], "", v[k + 1]);
        break;
      }
    }
  }
}

std::string format_text(const Snapshot& snapshot) {
  std::string out;
  std::size_t estimate = 0;
  for (const auto& f : snapshot.families) estimate += 96 + f.values.size() * 48;
  out.reserve(estimate);
  for (const auto& f : snapshot.families) append_text(out, f);
  return out;
}

}  // namespace coyote::host::metrics
