#include "beanstalk/beanstalk_config.hpp"

#include "beanstalk/beanstalk_protocol.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace coyote::drivers::beanstalk {

namespace {

constexpr std::string_view kAddressHelp =
    "use tcp://host:port (e.g. tcp://127.0.0.1:11300) or unix:///path/to/beanstalkd.sock";

std::optional<std::uint64_t> parse_unsigned(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

/// Whole seconds, rounded up: beanstalkd counts reserve timeouts in seconds.
std::uint32_t ceil_seconds(std::chrono::milliseconds d) {
  const auto s = std::chrono::ceil<std::chrono::seconds>(d).count();
  return static_cast<std::uint32_t>(std::min<std::int64_t>(s, protocol::kMaxU32));
}

struct Problem {
  std::string key;
  std::string text;
};

/// Validates the parsed values; returns the first problem.
std::optional<Problem> check(const TubeOptions& o) {
  if (auto why = protocol::check_tube_name(o.tube); !why.empty()) {
    return Problem{"tube",
                   "invalid beanstalkd tube name \"" + protocol::printable(o.tube) + "\": " + why};
  }
  if (o.prefetch <= 0) {
    return Problem{"prefetch", "prefetch must be a positive number of jobs (default " +
                                   std::to_string(kDefaultPrefetch) + "), got " +
                                   std::to_string(o.prefetch)};
  }
  return std::nullopt;
}

}  // namespace

std::optional<Address> parse_address(std::string_view dsn, std::string& error) {
  Address a;
  a.text = std::string(dsn);
  if (dsn.rfind("unix://", 0) == 0) {
    a.unix_socket = true;
    a.path = std::string(dsn.substr(7));
    if (a.path.empty()) {
      error = "invalid socket DSN \"" + a.text + "\": the socket path is empty; " +
              std::string(kAddressHelp);
      return std::nullopt;
    }
    return a;
  }
  if (dsn.rfind("tcp://", 0) != 0) {
    error = "invalid socket DSN \"" + a.text + "\": " + std::string(kAddressHelp);
    return std::nullopt;
  }
  std::string_view rest = dsn.substr(6);
  std::string_view host;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      error = "invalid socket DSN \"" + a.text + "\": an IPv6 address is written tcp://[::1]:11300";
      return std::nullopt;
    }
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      error = "invalid socket DSN \"" + a.text + "\": the port is missing; " +
              std::string(kAddressHelp);
      return std::nullopt;
    }
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  const auto number = parse_unsigned(port);
  if (host.empty() || !number || *number == 0 || *number > 65535) {
    error = "invalid socket DSN \"" + a.text + "\": " + std::string(kAddressHelp);
    return std::nullopt;
  }
  a.host = std::string(host);
  a.port = std::string(port);
  return a;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  if (auto whole = parse_unsigned(text)) return std::chrono::seconds{*whole};
  // Go's time.ParseDuration forms: a sequence of <decimal><unit>.
  double total_ms = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t digits = at;
    while (digits < text.size() &&
           ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.')) {
      ++digits;
    }
    if (digits == at) return std::nullopt;
    double value = 0;
    auto [end, ec] = std::from_chars(text.data() + at, text.data() + digits, value);
    if (ec != std::errc{} || end != text.data() + digits) return std::nullopt;
    std::size_t unit_end = digits;
    while (unit_end < text.size() && !(text[unit_end] >= '0' && text[unit_end] <= '9') &&
           text[unit_end] != '.') {
      ++unit_end;
    }
    const std::string_view unit = text.substr(digits, unit_end - digits);
    double scale = 0;
    if (unit == "h") {
      scale = 3'600'000;
    } else if (unit == "m") {
      scale = 60'000;
    } else if (unit == "s") {
      scale = 1000;
    } else if (unit == "ms") {
      scale = 1;
    } else if (unit == "us" || unit == "\xc2\xb5s") {
      scale = 0.001;
    } else if (unit == "ns") {
      scale = 0.000001;
    } else {
      return std::nullopt;
    }
    total_ms += value * scale;
    at = unit_end;
  }
  return std::chrono::milliseconds{static_cast<std::int64_t>(std::ceil(total_ms))};
}

std::uint32_t GlobalOptions::ttr_seconds() const {
  return std::max(kMinTtrSeconds, ceil_seconds(timeout));
}

GlobalOptions read_global(const sdk::Config& config) {
  GlobalOptions g;
  const std::string dsn = config.text("beanstalk.addr").value_or(std::string(kDefaultAddress));
  std::string error;
  auto address = parse_address(dsn, error);
  if (!address) throw config.error_at("beanstalk.addr", error);
  g.address = std::move(*address);
  if (auto text = config.text("beanstalk.timeout")) {
    auto d = parse_duration(*text);
    if (!d || d->count() <= 0) {
      throw config.error_at(
          "beanstalk.timeout",
          "timeout must be a positive duration such as 30s (default 30s), got \"" + *text + "\"");
    }
    g.timeout = *d;
  }
  if (auto text = config.text("jobs.timeout")) {
    if (auto d = parse_duration(*text); d && d->count() > 0) g.push_timeout = *d;
  }
  return g;
}

TubeOptions read_tube(const sdk::Config& config, std::string_view config_key,
                      const sdk::Pipeline& pipeline) {
  TubeOptions o;
  const std::string base(config_key);
  // The value at config.<key> as written, else the flat pipeline option.
  auto value = [&](std::string_view key) -> std::optional<std::string> {
    if (auto t = config.text(base + "." + std::string(key))) return t;
    if (pipeline.has(key)) return pipeline.string(key);
    return std::nullopt;
  };
  auto fail = [&](std::string_view key, const std::string& problem) {
    return config.error_at(base + "." + std::string(key), problem);
  };
  if (auto t = value("tube"); t && !t->empty()) o.tube = *t;
  if (auto t = value("tube_priority")) {
    auto v = parse_unsigned(*t);
    if (!v || *v > protocol::kMaxU32) {
      throw fail("tube_priority",
                 "tube_priority must be a beanstalkd priority 0..4294967295 (default 0), got \"" +
                     *t + "\"");
    }
    o.tube_priority = static_cast<std::uint32_t>(*v);
  }
  o.reserve_timeout_s = ceil_seconds(kDefaultReserveTimeoutConfig);
  if (auto t = value("reserve_timeout")) {
    auto d = parse_duration(*t);
    if (!d) {
      throw fail(
          "reserve_timeout",
          "reserve_timeout must be a duration such as 1s or 5 (seconds), got \"" + *t + "\"");
    }
    o.reserve_timeout_s = ceil_seconds(*d);
  }
  if (auto t = value("prefetch")) {
    auto v = parse_unsigned(*t);
    o.prefetch = v && *v <= 1'000'000 ? static_cast<std::int64_t>(*v) : 0;
    if (o.prefetch <= 0) {
      throw fail("prefetch", "prefetch must be a positive number of jobs up to 1000000 (default " +
                                 std::to_string(kDefaultPrefetch) + "), got \"" + *t + "\"");
    }
  }
  if (auto problem = check(o)) throw fail(problem->key, problem->text);
  return o;
}

TubeOptions read_declared(const sdk::Pipeline& pipeline) {
  TubeOptions o;
  const std::string where = "beanstalk pipeline " + pipeline.name() + ": ";
  o.tube = pipeline.string("tube", "default");
  o.tube_priority = kDefaultTubePriorityDeclared;
  if (pipeline.has("tube_priority") && !pipeline.string("tube_priority").empty()) {
    auto v = parse_unsigned(pipeline.string("tube_priority"));
    if (!v || *v > protocol::kMaxU32) {
      throw std::invalid_argument(where + "tube_priority must be 0..4294967295, got \"" +
                                  pipeline.string("tube_priority") + "\"");
    }
    o.tube_priority = static_cast<std::uint32_t>(*v);
  }
  o.reserve_timeout_s = ceil_seconds(kDefaultReserveTimeoutDeclared);
  if (pipeline.has("reserve_timeout") && !pipeline.string("reserve_timeout").empty()) {
    auto d = parse_duration(pipeline.string("reserve_timeout"));
    if (!d) {
      throw std::invalid_argument(where +
                                  "reserve_timeout must be seconds (5) or a duration (5s), "
                                  "got \"" +
                                  pipeline.string("reserve_timeout") + "\"");
    }
    o.reserve_timeout_s = ceil_seconds(*d);
  }
  if (pipeline.has("prefetch") && !pipeline.string("prefetch").empty()) {
    auto v = parse_unsigned(pipeline.string("prefetch"));
    o.prefetch = v && *v <= 1'000'000 ? static_cast<std::int64_t>(*v) : 0;
  }
  if (auto problem = check(o)) throw std::invalid_argument(where + problem->text);
  return o;
}

}  // namespace coyote::drivers::beanstalk
