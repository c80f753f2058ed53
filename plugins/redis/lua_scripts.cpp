#include "redis/lua_scripts.hpp"

#include <boost/uuid/detail/sha1.hpp>

#include <cstdio>
#include <string>

namespace coyote::drivers::redis {
namespace {

// Shared by every script. The server clock (TIME) dates delayed jobs so that hosts whose clocks
// disagree still agree on when a job is due.
constexpr std::string_view kPrelude = R"lua(
local function xadd(key, maxlen, approx, fields)
  if maxlen ~= '0' and maxlen ~= '' then
    if approx == '1' then
      return redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*', unpack(fields))
    end
    return redis.call('XADD', key, 'MAXLEN', maxlen, '*', unpack(fields))
  end
  return redis.call('XADD', key, '*', unpack(fields))
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
)lua";

constexpr std::string_view kSchedule = R"lua(
local stream, delayed = KEYS[1], KEYS[2]
local group, entry, del, delay = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
if entry ~= '' then
  local p = redis.call('XPENDING', stream, group, entry, entry, 1)
  if #p == 0 then return {0, -1} end
end
local fields = {}
for i = 8, #ARGV do fields[#fields + 1] = ARGV[i] end
local due = -1
if delay > 0 then
  local m = {string.len(ARGV[7]), ':', ARGV[7], ','}
  for _, f in ipairs(fields) do
    m[#m + 1] = string.len(f)
    m[#m + 1] = ':'
    m[#m + 1] = f
    m[#m + 1] = ','
  end
  redis.call('ZADD', delayed, now_ms() + delay, table.concat(m))
  due = delay
else
  xadd(stream, ARGV[5], ARGV[6], fields)
end
if entry ~= '' then
  redis.call('XACK', stream, group, entry)
  if del == '1' then redis.call('XDEL', stream, entry) end
end
return {1, due}
)lua";

constexpr std::string_view kAck = R"lua(
local ids = {}
for i = 3, #ARGV do ids[#ids + 1] = ARGV[i] end
local n = redis.call('XACK', KEYS[1], ARGV[1], unpack(ids))
if ARGV[2] == '1' then redis.call('XDEL', KEYS[1], unpack(ids)) end
return n
)lua";

// A member that is not the driver's netstring form (written by hand) is delivered as the payload
// of a job rather than left to block the set forever. XADD comes before ZREM so that a failure
// in between (OOM) leaves the job in the set, never in neither.
constexpr std::string_view kMoveDue = R"lua(
local delayed, stream = KEYS[1], KEYS[2]
local now = now_ms()
local due = redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, m in ipairs(due) do
  local fields, pos, n, first, ok = {}, 1, string.len(m), true, true
  while pos <= n do
    local colon = string.find(m, ':', pos, true)
    if not colon then ok = false break end
    local len = tonumber(string.sub(m, pos, colon - 1))
    if not len or colon + len + 1 > n or string.sub(m, colon + len + 1, colon + len + 1) ~= ',' then
      ok = false
      break
    end
    if first then first = false else fields[#fields + 1] = string.sub(m, colon + 1, colon + len) end
    pos = colon + len + 2
  end
  if not ok or #fields == 0 or #fields % 2 == 1 then fields = {'payload', m} end
  xadd(stream, ARGV[2], ARGV[3], fields)
  redis.call('ZREM', delayed, m)
end
local nxt = -1
local head = redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')
if #head > 0 then nxt = math.max(0, tonumber(head[2]) - now) end
return {#due, nxt}
)lua";

constexpr std::string_view kReclaim = R"lua(
local stream, group, consumer = KEYS[1], ARGV[1], ARGV[2]
local r = redis.call('XAUTOCLAIM', stream, group, consumer, ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local moved = 0
for _, e in ipairs(r[2]) do
  local id, f = e[1], e[2]
  if f then
    local out, seen = {}, false
    for i = 1, #f, 2 do
      if f[i] == 'attempt' then
        out[#out + 1] = 'attempt'
        out[#out + 1] = tostring((tonumber(f[i + 1]) or 1) + 1)
        seen = true
      else
        out[#out + 1] = f[i]
        out[#out + 1] = f[i + 1]
      end
    end
    if not seen then
      out[#out + 1] = 'attempt'
      out[#out + 1] = '2'
    end
    xadd(stream, ARGV[7], ARGV[8], out)
    moved = moved + 1
  end
  redis.call('XACK', stream, group, id)
  if ARGV[6] == '1' then redis.call('XDEL', stream, id) end
end
local lost = 0
if r[3] then lost = #r[3] end
return {r[1], moved, lost}
)lua";

std::string sha1_hex(std::string_view text) {
  boost::uuids::detail::sha1 hash;
  hash.process_bytes(text.data(), text.size());
  boost::uuids::detail::sha1::digest_type digest;
  hash.get_digest(digest);
  std::string out;
  char buf[9];
  for (unsigned int word : digest) {
    std::snprintf(buf, sizeof buf, "%08x", word);
    out += buf;
  }
  return out;
}

LuaScript make(std::string_view name, std::string_view body, bool with_prelude) {
  std::string text(with_prelude ? kPrelude : std::string_view{});
  text.append(body);
  std::string sha = sha1_hex(text);
  return LuaScript{name, std::move(text), std::move(sha)};
}

}  // namespace

const LuaScript& schedule_script() {
  static const LuaScript script = make("schedule", kSchedule, true);
  return script;
}

const LuaScript& ack_script() {
  static const LuaScript script = make("ack", kAck, false);
  return script;
}

const LuaScript& move_due_script() {
  static const LuaScript script = make("move_due", kMoveDue, true);
  return script;
}

const LuaScript& reclaim_script() {
  static const LuaScript script = make("reclaim", kReclaim, true);
  return script;
}

}  // namespace coyote::drivers::redis
