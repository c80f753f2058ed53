// The Prometheus text exposition format, version 0.0.4.
#pragma once

#include "metrics/snapshot.hpp"

#include <string>
#include <string_view>

namespace coyote::host::metrics {

/// The Content-Type of format_text's output.
inline constexpr const char* kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

/// Every family as "# HELP", "# TYPE" and one line per sample; histograms as _bucket (with
/// cumulative le="..." and le="+Inf"), _sum and _count; summaries as quantile="..." lines,
/// _sum and _count. Any thread.
[[nodiscard]] std::string format_text(const Snapshot& snapshot);
void append_text(std::string& out, const FamilySnapshot& family);

/// HELP text: '\' → "\\", newline → "\n".
void append_escaped_help(std::string& out, std::string_view help);
/// Label value: '\' → "\\", '"' → "\"", newline → "\n".
void append_escaped_label_value(std::string& out, std::string_view value);
/// A sample value or bound: shortest round-trip form, "+Inf", "-Inf", "NaN".
void append_number(std::string& out, double v);

}  // namespace coyote::host::metrics
