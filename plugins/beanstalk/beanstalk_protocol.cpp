#include "beanstalk/beanstalk_protocol.hpp"

#include <array>
#include <charconv>
#include <cstdio>

namespace coyote::drivers::beanstalk::protocol {

namespace {

void append_number(std::string& out, std::uint64_t v) {
  std::array<char, 24> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  (void)ec;  // 24 bytes always hold a uint64
  out.append(buf.data(), end);
}

void command(std::string& out, std::string_view verb, std::string_view arg) {
  out.append(verb).append(" ").append(arg).append("\r\n");
}

void command(std::string& out, std::string_view verb, std::uint64_t arg) {
  out.append(verb).append(" ");
  append_number(out, arg);
  out.append("\r\n");
}

/// A protocol integer: 1-20 decimal digits that fit in 64 bits; no sign, no spaces.
std::optional<std::uint64_t> parse_number(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  // from_chars accepts no sign for unsigned types, but be explicit about what a digit is.
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return v;
}

struct Words {
  std::array<std::string_view, 4> word{};
  std::size_t count = 0;
  bool too_many = false;
};

/// Splits on single spaces; an empty word (double space, leading/trailing space) is kept as an
/// empty view so that it fails the exact-arity checks below.
Words split(std::string_view line) {
  Words w;
  std::size_t from = 0;
  for (;;) {
    const auto space = line.find(' ', from);
    const auto piece = line.substr(from, space == std::string_view::npos ? space : space - from);
    if (w.count == w.word.size()) {
      w.too_many = true;
      return w;
    }
    w.word[w.count++] = piece;
    if (space == std::string_view::npos) return w;
    from = space + 1;
  }
}

ParseResult invalid(std::string what, std::string_view line) {
  ParseResult r;
  r.status = ParseStatus::kInvalid;
  r.error = std::move(what);
  r.error.append(": \"").append(printable(line)).append("\"");
  return r;
}

struct Simple {
  std::string_view text;
  ReplyKind kind;
};

constexpr std::array<Simple, 15> kSimple{{
    {"BURIED", ReplyKind::kBuried},
    {"EXPECTED_CRLF", ReplyKind::kExpectedCrlf},
    {"JOB_TOO_BIG", ReplyKind::kJobTooBig},
    {"DRAINING", ReplyKind::kDraining},
    {"NOT_IGNORED", ReplyKind::kNotIgnored},
    {"DEADLINE_SOON", ReplyKind::kDeadlineSoon},
    {"TIMED_OUT", ReplyKind::kTimedOut},
    {"DELETED", ReplyKind::kDeleted},
    {"RELEASED", ReplyKind::kReleased},
    {"TOUCHED", ReplyKind::kTouched},
    {"NOT_FOUND", ReplyKind::kNotFound},
    {"OUT_OF_MEMORY", ReplyKind::kOutOfMemory},
    {"INTERNAL_ERROR", ReplyKind::kInternalError},
    {"BAD_FORMAT", ReplyKind::kBadFormat},
    {"UNKNOWN_COMMAND", ReplyKind::kUnknownCommand},
}};

}  // namespace

void put(std::string& out, std::uint32_t pri, std::uint32_t delay, std::uint32_t ttr,
         std::string_view body) {
  out.append("put ");
  append_number(out, pri);
  out.push_back(' ');
  append_number(out, delay);
  out.push_back(' ');
  append_number(out, ttr);
  out.push_back(' ');
  append_number(out, body.size());
  out.append("\r\n").append(body).append("\r\n");
}

void use(std::string& out, std::string_view tube) { command(out, "use", tube); }
void watch(std::string& out, std::string_view tube) { command(out, "watch", tube); }
void ignore(std::string& out, std::string_view tube) { command(out, "ignore", tube); }
void reserve_with_timeout(std::string& out, std::uint32_t seconds) {
  command(out, "reserve-with-timeout", seconds);
}
void delete_job(std::string& out, std::uint64_t id) { command(out, "delete", id); }
void release(std::string& out, std::uint64_t id, std::uint32_t pri, std::uint32_t delay) {
  out.append("release ");
  append_number(out, id);
  out.push_back(' ');
  append_number(out, pri);
  out.push_back(' ');
  append_number(out, delay);
  out.append("\r\n");
}
void touch(std::string& out, std::uint64_t id) { command(out, "touch", id); }
void peek(std::string& out, std::uint64_t id) { command(out, "peek", id); }
void stats(std::string& out) { out.append("stats\r\n"); }
void stats_job(std::string& out, std::uint64_t id) { command(out, "stats-job", id); }
void stats_tube(std::string& out, std::string_view tube) { command(out, "stats-tube", tube); }

std::string check_tube_name(std::string_view name) {
  if (name.empty()) return "a tube name must not be empty";
  if (name.size() > kMaxTubeName) {
    return "a tube name is at most 200 bytes, this one has " + std::to_string(name.size());
  }
  if (name.front() == '-') return "a tube name must not begin with '-'";
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("-+/;.$_()").find(c) != std::string_view::npos;
    if (!ok) {
      return "a tube name may contain only letters, digits and - + / ; . $ _ ( ), not '" +
             printable(std::string_view(&c, 1)) + "'";
    }
  }
  return {};
}

std::string_view name_of(ReplyKind kind) {
  switch (kind) {
    case ReplyKind::kInserted:
      return "INSERTED";
    case ReplyKind::kBuriedId:
    case ReplyKind::kBuried:
      return "BURIED";
    case ReplyKind::kExpectedCrlf:
      return "EXPECTED_CRLF";
    case ReplyKind::kJobTooBig:
      return "JOB_TOO_BIG";
    case ReplyKind::kDraining:
      return "DRAINING";
    case ReplyKind::kUsing:
      return "USING";
    case ReplyKind::kWatching:
      return "WATCHING";
    case ReplyKind::kNotIgnored:
      return "NOT_IGNORED";
    case ReplyKind::kReserved:
      return "RESERVED";
    case ReplyKind::kFound:
      return "FOUND";
    case ReplyKind::kDeadlineSoon:
      return "DEADLINE_SOON";
    case ReplyKind::kTimedOut:
      return "TIMED_OUT";
    case ReplyKind::kDeleted:
      return "DELETED";
    case ReplyKind::kReleased:
      return "RELEASED";
    case ReplyKind::kTouched:
      return "TOUCHED";
    case ReplyKind::kNotFound:
      return "NOT_FOUND";
    case ReplyKind::kOk:
      return "OK";
    case ReplyKind::kOutOfMemory:
      return "OUT_OF_MEMORY";
    case ReplyKind::kInternalError:
      return "INTERNAL_ERROR";
    case ReplyKind::kBadFormat:
      return "BAD_FORMAT";
    case ReplyKind::kUnknownCommand:
      return "UNKNOWN_COMMAND";
  }
  return "?";
}

std::string_view name_of(Command command) {
  switch (command) {
    case Command::kUse:
      return "use";
    case Command::kWatch:
      return "watch";
    case Command::kIgnore:
      return "ignore";
    case Command::kStats:
      return "stats";
    case Command::kStatsTube:
      return "stats-tube";
    case Command::kStatsJob:
      return "stats-job";
    case Command::kPut:
      return "put";
    case Command::kReserve:
      return "reserve-with-timeout";
    case Command::kDelete:
      return "delete";
    case Command::kRelease:
      return "release";
    case Command::kTouch:
      return "touch";
    case Command::kPeek:
      return "peek";
  }
  return "?";
}

bool is_reply_to(Command command, ReplyKind reply) {
  using R = ReplyKind;
  if (reply == R::kOutOfMemory || reply == R::kInternalError) return true;
  switch (command) {
    case Command::kUse:
      return reply == R::kUsing;
    case Command::kWatch:
      return reply == R::kWatching;
    case Command::kIgnore:
      return reply == R::kWatching || reply == R::kNotIgnored;
    case Command::kStats:
      return reply == R::kOk;
    case Command::kStatsTube:
    case Command::kStatsJob:
      return reply == R::kOk || reply == R::kNotFound;
    case Command::kPut:
      return reply == R::kInserted || reply == R::kBuriedId || reply == R::kExpectedCrlf ||
             reply == R::kJobTooBig || reply == R::kDraining;
    case Command::kReserve:
      return reply == R::kReserved || reply == R::kTimedOut || reply == R::kDeadlineSoon;
    case Command::kDelete:
      return reply == R::kDeleted || reply == R::kNotFound;
    case Command::kRelease:
      return reply == R::kReleased || reply == R::kBuried || reply == R::kNotFound;
    case Command::kTouch:
      return reply == R::kTouched || reply == R::kNotFound;
    case Command::kPeek:
      return reply == R::kFound || reply == R::kNotFound;
  }
  return false;
}

ParseResult parse_reply(std::string_view input, std::size_t max_data) {
  const auto lf = input.substr(0, kMaxLine).find('\n');
  if (lf == std::string_view::npos) {
    if (input.size() >= kMaxLine) {
      return invalid("reply line longer than " + std::to_string(kMaxLine) + " bytes",
                     input.substr(0, 40));
    }
    return {};
  }
  if (lf == 0 || input[lf - 1] != '\r') {
    return invalid("reply line not terminated by CRLF", input.substr(0, lf));
  }
  const std::string_view line = input.substr(0, lf - 1);
  const std::size_t line_end = lf + 1;
  const Words w = split(line);
  if (w.too_many) return invalid("unexpected reply", line);
  const std::string_view verb = w.word[0];

  ParseResult r;
  r.status = ParseStatus::kOk;
  r.consumed = line_end;

  if (w.count == 1) {
    for (const auto& s : kSimple) {
      if (s.text == verb) {
        r.reply.kind = s.kind;
        return r;
      }
    }
    return invalid("unexpected reply", line);
  }

  if (w.count == 2) {
    if (verb == "USING") {
      if (w.word[1].empty() || w.word[1].size() > kMaxTubeName) {
        return invalid("malformed USING reply", line);
      }
      r.reply.kind = ReplyKind::kUsing;
      r.reply.word = w.word[1];
      return r;
    }
    const auto n = parse_number(w.word[1]);
    if (verb == "INSERTED" || verb == "BURIED" || verb == "WATCHING") {
      if (!n) return invalid("malformed number in reply", line);
      r.reply.kind = verb == "INSERTED" ? ReplyKind::kInserted
                     : verb == "BURIED" ? ReplyKind::kBuriedId
                                        : ReplyKind::kWatching;
      r.reply.number = *n;
      return r;
    }
    if (verb != "OK") return invalid("unexpected reply", line);
  } else if (w.count == 3) {
    if (verb != "RESERVED" && verb != "FOUND") return invalid("unexpected reply", line);
    const auto id = parse_number(w.word[1]);
    if (!id) return invalid("malformed job id in reply", line);
    r.reply.number = *id;
  } else {
    return invalid("unexpected reply", line);
  }

  // A data reply: OK <bytes>, RESERVED <id> <bytes>, FOUND <id> <bytes>.
  const auto bytes = parse_number(w.word[w.count - 1]);
  if (!bytes) return invalid("malformed byte count in reply", line);
  if (*bytes > max_data) {
    return invalid("reply announces " + std::to_string(*bytes) + " bytes, more than the " +
                       std::to_string(max_data) + " expected",
                   line);
  }
  const std::size_t need = line_end + static_cast<std::size_t>(*bytes) + 2;
  if (input.size() < need) return {};
  if (input[need - 2] != '\r' || input[need - 1] != '\n') {
    return invalid("data of reply not followed by CRLF", line);
  }
  r.reply.kind = verb == "OK"         ? ReplyKind::kOk
                 : verb == "RESERVED" ? ReplyKind::kReserved
                                      : ReplyKind::kFound;
  r.reply.data = input.substr(line_end, static_cast<std::size_t>(*bytes));
  r.consumed = need;
  return r;
}

std::optional<std::string_view> stats_value(std::string_view yaml, std::string_view key) {
  std::size_t at = 0;
  while (at < yaml.size()) {
    auto nl = yaml.find('\n', at);
    if (nl == std::string_view::npos) nl = yaml.size();
    std::string_view line = yaml.substr(at, nl - at);
    at = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() <= key.size() + 1 || line.substr(0, key.size()) != key ||
        line[key.size()] != ':') {
      continue;
    }
    std::string_view value = line.substr(key.size() + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    // beanstalkd quotes nothing but some strings ("version: \"1.12\""); strip a pair of quotes.
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> stats_number(std::string_view yaml, std::string_view key) {
  auto v = stats_value(yaml, key);
  if (!v) return std::nullopt;
  return parse_number(*v);
}

std::optional<JobStats> parse_job_stats(std::string_view yaml) {
  JobStats s;
  auto pri = stats_number(yaml, "pri");
  auto ttr = stats_number(yaml, "ttr");
  auto reserves = stats_number(yaml, "reserves");
  if (!pri || !ttr || !reserves) return std::nullopt;
  s.pri = *pri;
  s.ttr = *ttr;
  s.reserves = *reserves;
  s.time_left = stats_number(yaml, "time-left").value_or(s.ttr);
  s.releases = stats_number(yaml, "releases").value_or(0);
  s.buries = stats_number(yaml, "buries").value_or(0);
  return s;
}

std::optional<TubeStats> parse_tube_stats(std::string_view yaml) {
  TubeStats s;
  auto ready = stats_number(yaml, "current-jobs-ready");
  auto reserved = stats_number(yaml, "current-jobs-reserved");
  auto delayed = stats_number(yaml, "current-jobs-delayed");
  if (!ready || !reserved || !delayed) return std::nullopt;
  s.ready = *ready;
  s.reserved = *reserved;
  s.delayed = *delayed;
  s.buried = stats_number(yaml, "current-jobs-buried").value_or(0);
  return s;
}

std::optional<ServerStats> parse_server_stats(std::string_view yaml) {
  ServerStats s;
  auto id = stats_value(yaml, "id");
  auto max = stats_number(yaml, "max-job-size");
  if (!id || !max) return std::nullopt;
  s.id = std::string(*id);
  s.max_job_size = *max;
  s.version = std::string(stats_value(yaml, "version").value_or(""));
  return s;
}

std::string printable(std::string_view bytes, std::size_t limit) {
  std::string out;
  for (const char byte : bytes) {
    if (out.size() >= limit) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(byte);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      std::array<char, 8> buf{};
      std::snprintf(buf.data(), buf.size(), "\\x%02x", static_cast<unsigned>(c));
      out += buf.data();
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

}  // namespace coyote::drivers::beanstalk::protocol
