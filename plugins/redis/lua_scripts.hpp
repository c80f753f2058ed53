// The Lua scripts the driver runs in Redis: each one is a step that must be atomic across hosts.
#pragma once

#include <string>
#include <string_view>

namespace coyote::drivers::redis {

/// A script and its SHA-1 (for EVALSHA; the connection falls back to EVAL on NOSCRIPT).
struct LuaScript {
  std::string_view name;
  std::string text;
  std::string sha1;
};

/// A delayed-set member is netstrings ("len:bytes,") of a nonce, then the entry's fields: the
/// nonce keeps two identical jobs delayed to the same time from collapsing into one member.

/// Adds a job to the stream now or to the delayed set, and optionally settles the entry it
/// replaces, in one step (a requeue can neither lose nor duplicate the job).
///   KEYS: stream, delayed set
///   ARGV: group, entry id to settle ("" for none), delete on ack ("1"/"0"), delay ms,
///         maxlen ("0": no trimming), approximate ("1"/"0"), nonce, then the entry's fields.
/// When an entry id is given and it is no longer pending in the group (already settled, or
/// reclaimed by another host), nothing is done: the script is safe to retry after a lost reply.
/// Returns {done (1/0), delay ms or -1}.
const LuaScript& schedule_script();

/// XACK and (when deleting) XDEL of a batch of entries, in one step.
///   KEYS: stream.   ARGV: group, delete on ack ("1"/"0"), then the entry ids.
/// A script rather than MULTI/EXEC: under maxmemory Redis refuses every command queued in a
/// transaction, but not these two, which free memory.  Returns the number acked.
const LuaScript& ack_script();

/// Moves due jobs from the delayed set into the stream (server clock), at most ARGV[1] of them.
///   KEYS: delayed set, stream.   ARGV: limit, maxlen, approximate.
/// Returns {moved, ms until the next job is due or -1 when the set is empty}.
const LuaScript& move_due_script();

/// Takes entries idle in the group for longer than the claim time (their host died) with
/// XAUTOCLAIM and adds each back at the stream's tail with `attempt` + 1, settling the old one.
///   KEYS: stream.   ARGV: group, consumer, min idle ms, start id, count, delete on ack,
///   maxlen, approximate.
/// Returns {next start id, jobs re-added, entries that were trimmed away (lost)}.
const LuaScript& reclaim_script();

}  // namespace coyote::drivers::redis
