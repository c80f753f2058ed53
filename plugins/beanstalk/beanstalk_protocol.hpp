// The beanstalkd text protocol (doc/protocol.txt of beanstalkd 1.12): command encoders and a reply
// parser that is a pure function over bytes, so it can be unit-tested and fuzzed without a socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace coyote::drivers::beanstalk::protocol {

/// Largest value beanstalkd accepts for pri, delay and ttr (all < 2^32).
inline constexpr std::uint64_t kMaxU32 = 0xffff'ffffULL;
/// beanstalkd refuses a command line longer than 224 bytes (with CRLF); a reply line is never
/// longer than "USING <200-byte tube>\r\n". Anything longer without a CRLF is not beanstalkd.
inline constexpr std::size_t kMaxLine = 256;
/// Longest tube name beanstalkd accepts.
inline constexpr std::size_t kMaxTubeName = 200;

// --- commands: each appends one complete command to `out` -------------------------------------
void put(std::string& out, std::uint32_t pri, std::uint32_t delay, std::uint32_t ttr,
         std::string_view body);
void use(std::string& out, std::string_view tube);
void watch(std::string& out, std::string_view tube);
void ignore(std::string& out, std::string_view tube);
void reserve_with_timeout(std::string& out, std::uint32_t seconds);
void delete_job(std::string& out, std::uint64_t id);
void release(std::string& out, std::uint64_t id, std::uint32_t pri, std::uint32_t delay);
void touch(std::string& out, std::uint64_t id);
void peek(std::string& out, std::uint64_t id);
void stats(std::string& out);
void stats_job(std::string& out, std::uint64_t id);
void stats_tube(std::string& out, std::string_view tube);

/// Empty when `name` is a valid tube name, otherwise what is wrong with it.
std::string check_tube_name(std::string_view name);

// --- replies ------------------------------------------------------------------------------------
enum class ReplyKind {
  kInserted,       ///< INSERTED <id>
  kBuriedId,       ///< BURIED <id> (put: the server ran out of memory, the job is buried)
  kBuried,         ///< BURIED (release/bury)
  kExpectedCrlf,   ///< EXPECTED_CRLF
  kJobTooBig,      ///< JOB_TOO_BIG
  kDraining,       ///< DRAINING
  kUsing,          ///< USING <tube>
  kWatching,       ///< WATCHING <count>
  kNotIgnored,     ///< NOT_IGNORED
  kReserved,       ///< RESERVED <id> <bytes>\r\n<data>
  kFound,          ///< FOUND <id> <bytes>\r\n<data>
  kDeadlineSoon,   ///< DEADLINE_SOON
  kTimedOut,       ///< TIMED_OUT
  kDeleted,        ///< DELETED
  kReleased,       ///< RELEASED
  kTouched,        ///< TOUCHED
  kNotFound,       ///< NOT_FOUND
  kOk,             ///< OK <bytes>\r\n<data> (stats, stats-job, stats-tube)
  kOutOfMemory,    ///< OUT_OF_MEMORY
  kInternalError,  ///< INTERNAL_ERROR
  kBadFormat,      ///< BAD_FORMAT
  kUnknownCommand  ///< UNKNOWN_COMMAND
};

/// The reply's name as beanstalkd spells it ("INSERTED"), for messages.
std::string_view name_of(ReplyKind kind);

struct Reply {
  ReplyKind kind = ReplyKind::kNotFound;
  std::uint64_t number =
      0;                  ///< the id (INSERTED, BURIED <id>, RESERVED, FOUND) or count (WATCHING)
  std::string_view word;  ///< the tube of USING
  std::string_view data;  ///< the body of RESERVED/FOUND, the YAML of OK (a view into the input)
};

enum class ParseStatus {
  kNeedMore,  ///< the input holds an incomplete reply: read more bytes and parse again
  kOk,        ///< one reply parsed; `consumed` bytes of the input belong to it
  kInvalid    ///< the input is not a beanstalkd reply: the stream cannot be trusted any more
};

struct ParseResult {
  ParseStatus status = ParseStatus::kNeedMore;
  std::size_t consumed = 0;
  Reply reply;
  std::string error;  ///< for kInvalid: what was wrong, with the offending line (escaped)
};

/// Parses the first reply in `input`. `max_data` bounds the <bytes> of a data reply, so a corrupt
/// length cannot make the caller buffer gigabytes (beanstalkd's own max-job-size is 65535 by
/// default; stats replies are a few hundred bytes). Views in the reply point into `input`.
ParseResult parse_reply(std::string_view input, std::size_t max_data);

// --- the YAML of stats replies: a flat "key: value" dictionary ---------------------------------
/// The value of `key` in a stats reply, or nullopt when the key is absent.
std::optional<std::string_view> stats_value(std::string_view yaml, std::string_view key);
/// The value of `key` as a non-negative decimal number, nullopt when absent or not a number.
std::optional<std::uint64_t> stats_number(std::string_view yaml, std::string_view key);

/// What the driver reads from stats-job.
struct JobStats {
  std::uint64_t pri = 0;
  std::uint64_t ttr = 0;
  std::uint64_t time_left = 0;
  std::uint64_t reserves = 0;
  std::uint64_t releases = 0;
  std::uint64_t buries = 0;
};
/// nullopt when a field the driver needs (pri, ttr, reserves) is missing.
std::optional<JobStats> parse_job_stats(std::string_view yaml);

/// What the driver reads from stats-tube (jobs.Stat counts).
struct TubeStats {
  std::uint64_t ready = 0;
  std::uint64_t reserved = 0;
  std::uint64_t delayed = 0;
  std::uint64_t buried = 0;
};
std::optional<TubeStats> parse_tube_stats(std::string_view yaml);

/// What the driver reads from the server-wide stats, once per connection.
struct ServerStats {
  std::string id;  ///< random per beanstalkd process start: tells a restarted server apart
  std::uint64_t max_job_size = 0;
  std::string version;
};
std::optional<ServerStats> parse_server_stats(std::string_view yaml);

// --- which reply answers which command ----------------------------------------------------------
enum class Command {
  kUse,
  kWatch,
  kIgnore,
  kStats,
  kStatsTube,
  kStatsJob,
  kPut,
  kReserve,
  kDelete,
  kRelease,
  kTouch,
  kPeek
};

/// The command's name as beanstalkd spells it ("reserve-with-timeout").
std::string_view name_of(Command command);

/// Whether `reply` is one of the answers beanstalkd gives to `command`, including the two server
/// errors any command may get (OUT_OF_MEMORY, INTERNAL_ERROR). Anything else (BAD_FORMAT,
/// UNKNOWN_COMMAND, or a reply meant for another command) means the client and the server no
/// longer agree on where the stream is: the connection must be dropped.
bool is_reply_to(Command command, ReplyKind reply);

/// `bytes` with control and non-ASCII bytes escaped and cut to `limit`, for error messages.
std::string printable(std::string_view bytes, std::size_t limit = 80);

}  // namespace coyote::drivers::beanstalk::protocol
