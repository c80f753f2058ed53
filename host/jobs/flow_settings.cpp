#include "jobs/flow_settings.hpp"

#include "config/duration.hpp"

#include <charconv>
#include <limits>

namespace coyote::host::jobs {
namespace {

std::optional<std::int64_t> whole_number(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<FlowError> parse_rate(std::string_view text, RateLimit& out) {
  const auto bad = [&](const std::string& why) {
    return FlowError{"rate_limit", "rate_limit \"" + std::string(text) + "\" " + why +
                                       ": write <jobs>/<window>, e.g. \"100/1s\" or \"5/500ms\" "
                                       "(or remove the key for no limit)"};
  };
  const auto slash = text.find('/');
  const auto count = whole_number(text.substr(0, slash));
  if (!count) return bad("does not start with a whole number of jobs");
  if (*count <= 0) return bad("allows no job at all (the pipeline would never run)");
  if (*count > std::numeric_limits<std::uint32_t>::max()) return bad("is too large");
  std::chrono::milliseconds window{1000};
  if (slash != std::string_view::npos) {
    const auto parsed = config::parse_duration(text.substr(slash + 1));
    if (!parsed) return bad("has no valid window after the slash");
    if (parsed->count() <= 0) return bad("has a window of 0");
    window = *parsed;
  }
  out.count = static_cast<std::uint32_t>(*count);
  out.window = window;
  return std::nullopt;
}

}  // namespace

std::optional<Scheduling> scheduling_from(std::string_view text) {
  if (text == "priority") return Scheduling::kPriority;
  if (text == "fair") return Scheduling::kFair;
  return std::nullopt;
}

std::optional<FlowError> parse_flow_settings(const sdk::Pipeline& pipeline, FlowSettings& out) {
  FlowSettings settings;
  if (const auto text = pipeline.string("weight"); !text.empty()) {
    const auto weight = whole_number(text);
    if (!weight || *weight <= 0 || *weight > kMaxWeight) {
      return FlowError{"weight", "weight \"" + text +
                                     "\" is not allowed: use a whole number from 1 to " +
                                     std::to_string(kMaxWeight) +
                                     " (the pipeline's share relative to the others in its pool; "
                                     "default 1)"};
    }
    settings.weight = static_cast<std::uint32_t>(*weight);
  }
  if (const auto text = pipeline.string("max_concurrency"); !text.empty()) {
    const auto cap = whole_number(text);
    if (!cap || *cap < 0 || *cap > std::numeric_limits<std::uint32_t>::max()) {
      return FlowError{"max_concurrency",
                       "max_concurrency \"" + text +
                           "\" is not allowed: use a whole number of jobs running at once in "
                           "the pool, 1 or more (0 or no key: unlimited)"};
    }
    settings.max_concurrency = static_cast<std::uint32_t>(*cap);
  }
  if (const auto text = pipeline.string("rate_limit"); !text.empty()) {
    if (auto error = parse_rate(text, settings.rate)) return error;
  }
  out = settings;
  return std::nullopt;
}

}  // namespace coyote::host::jobs
