// Reading the replies of stream commands (XREADGROUP, XINFO GROUPS) out of hiredis reply trees.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct redisReply;

namespace coyote::drivers::redis {

/// One entry as Redis returned it; the views point into the reply (valid while it is).
struct RawEntry {
  std::string_view id;
  std::vector<std::pair<std::string_view, std::string_view>> fields;
  bool deleted = false;  ///< the entry is pending but its data was trimmed or XDELed
};

/// XREADGROUP's reply: nil (the BLOCK timed out) or [[stream, [[id, [field, value, ...]], ...]]].
/// Appends to `out`; returns false with `error` for any other shape. Entries of every stream in
/// the reply are taken (the driver reads one stream per command).
bool parse_read_reply(const redisReply* reply, std::vector<RawEntry>& out, std::string& error);

/// One group's line of XINFO GROUPS.
struct GroupInfo {
  std::int64_t pending = 0;
  std::optional<std::int64_t> lag;  ///< Redis 7: entries not yet delivered (nil when unknown)
  bool found = false;
};

/// XINFO GROUPS's reply (an array of flat field/value arrays), looking for `group`.
bool parse_group_info(const redisReply* reply, std::string_view group, GroupInfo& out,
                      std::string& error);

/// The text of a string, status or error reply; empty for other types.
std::string_view reply_text(const redisReply* reply);
/// The integer of an integer reply or of a string holding one.
std::optional<std::int64_t> reply_integer(const redisReply* reply);

}  // namespace coyote::drivers::redis
