#include "jobs/retry_policy.hpp"

#include "config/duration.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

namespace coyote::host::jobs {
namespace {

// ---- the keys this file reads: jobs.pipelines.<name>.retry ------------------------------------

using config::Field;
using config::Kind;
using config::Spec;
namespace spec = config::spec;

constexpr std::string_view kBackoffs[] = {"constant", "linear", "exponential"};
constexpr Spec kBackoff{Kind::kString, {}, nullptr, kBackoffs};

constexpr Field kRetryFields[] = {
    {"max_attempts", &spec::kInteger, "`3`",
     "**Coyote**: deliveries in all (the first counts) before a failed job is dead-lettered; at "
     "least 1"},
    {"backoff", &kBackoff, "`exponential`",
     "**Coyote**: `constant` (initial), `linear` (initial × n) or `exponential` (initial × "
     "2ⁿ⁻¹) after failed attempt n"},
    {"initial", &spec::kDuration, "`1s`", "**Coyote**: first redelivery delay"},
    {"max", &spec::kDuration, "`60s`", "**Coyote**: largest redelivery delay (must be ≥ initial)"},
    // A fraction 0..1, or true/false: read as text, checked by parse_jitter.
    {"jitter", &spec::kString, "`0.1`",
     "**Coyote**: the delay is scaled by a random factor in [1−j, 1+j]; a fraction 0..1 "
     "(`true` = 0.1, `false` = 0)"},
};
constexpr Spec kRetry{Kind::kSection, kRetryFields};

// -------------------------------------------------------------------------------------------------

std::optional<Backoff> parse_backoff(std::string_view text) {
  if (text == "constant") return Backoff::kConstant;
  if (text == "linear") return Backoff::kLinear;
  if (text == "exponential") return Backoff::kExponential;
  return std::nullopt;
}

std::optional<double> parse_jitter(const std::string& text) {
  if (text == "true") return 0.1;
  if (text == "false") return 0.0;
  try {
    std::size_t used = 0;
    double v = std::stod(text, &used);
    if (used != text.size() || !(v >= 0.0 && v <= 1.0)) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<std::chrono::milliseconds> parse_ms(const std::string& text) {
  return config::parse_duration(text);
}

}  // namespace

const config::Spec& retry_keys() { return kRetry; }

std::chrono::milliseconds RetryPolicy::delay_after(std::int64_t failed_attempt,
                                                   std::mt19937_64& rng) const {
  const double n = static_cast<double>(std::max<std::int64_t>(failed_attempt, 1));
  auto ms = static_cast<double>(initial.count());
  switch (backoff) {
    case Backoff::kConstant:
      break;
    case Backoff::kLinear:
      ms *= n;
      break;
    case Backoff::kExponential:
      ms *= std::pow(2.0, std::min(n - 1.0, 62.0));
      break;
  }
  ms = std::min(ms, static_cast<double>(max.count()));
  if (jitter > 0.0 && ms > 0.0) {
    std::uniform_real_distribution<double> spread(1.0 - jitter, 1.0 + jitter);
    ms = std::min(ms * spread(rng), static_cast<double>(max.count()));
  }
  return std::chrono::milliseconds{static_cast<std::int64_t>(std::max(ms, 0.0))};
}

RetryPolicy RetryPolicy::from_config(const sdk::Config& config, const std::string& base) {
  RetryPolicy p;
  const std::string r = base + ".retry";
  p.max_attempts = config.integer_or(r + ".max_attempts", p.max_attempts);
  if (p.max_attempts < 1) {
    throw config.error_at(r + ".max_attempts",
                          "must be at least 1 (the first delivery counts; default 3)");
  }
  if (auto b = config.string(r + ".backoff"); b && !b->empty()) {
    auto kind = parse_backoff(*b);
    if (!kind) throw config.error_at(r + ".backoff", "must be constant, linear or exponential");
    p.backoff = *kind;
  }
  p.initial = std::chrono::duration_cast<std::chrono::milliseconds>(
      config.duration_or(r + ".initial", p.initial));
  p.max =
      std::chrono::duration_cast<std::chrono::milliseconds>(config.duration_or(r + ".max", p.max));
  if (p.max < p.initial) {
    throw config.error_at(r + ".max", "must not be shorter than retry.initial");
  }
  if (auto j = config.text(r + ".jitter")) {
    auto v = parse_jitter(*j);
    if (!v) throw config.error_at(r + ".jitter", "must be a fraction between 0 and 1, like 0.1");
    p.jitter = *v;
  }
  return p;
}

RetryPolicy RetryPolicy::from_options(const sdk::Pipeline& pipeline) {
  RetryPolicy p;
  p.max_attempts =
      std::max<std::int64_t>(1, pipeline.integer("retry.max_attempts", p.max_attempts));
  if (auto b = parse_backoff(pipeline.string("retry.backoff"))) p.backoff = *b;
  if (auto v = parse_ms(pipeline.string("retry.initial"))) p.initial = *v;
  if (auto v = parse_ms(pipeline.string("retry.max"))) p.max = *v;
  if (p.max < p.initial) p.max = p.initial;
  if (auto v = parse_jitter(pipeline.string("retry.jitter"))) p.jitter = *v;
  return p;
}

std::chrono::seconds driver_delay(std::chrono::milliseconds delay) {
  if (delay.count() <= 0) return std::chrono::seconds{0};
  return std::chrono::ceil<std::chrono::seconds>(delay);
}

std::int64_t attempt_of(const sdk::Headers& headers) {
  auto it = headers.find(kAttemptHeader);
  if (it == headers.end() || it->second.empty()) return 1;
  const std::string& s = it->second.front();
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v < 1) return 1;
  return v;
}

}  // namespace coyote::host::jobs
